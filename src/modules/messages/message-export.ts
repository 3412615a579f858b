import { stringify } from 'csv-stringify/sync';
import { ExportFormat } from './dto/export-query.dto';
import { MessageResponseDto, ScheduleAnswerField } from './dto/message-response.dto';

/** The fields of a row on the log's pages: a scheduled message's due time and expiry are not among them. */
type ListedField = Exclude<keyof MessageResponseDto, ScheduleAnswerField>;

/**
 * Every field of the /messages JSON, in its order and under its name: a field added to MessageResponseDto does not
 * compile until it is listed here, so the export cannot silently fall behind the JSON.
 */
const COLUMN_SET = {
  id: true,
  instance: true,
  number: true,
  message_type: true,
  status: true,
  message_id: true,
  bulk_id: true,
  source: true,
  error: true,
  created_at: true,
  sent_at: true,
  delivered_at: true,
  read_at: true,
  failed_at: true,
} satisfies Record<ListedField, true>;

export const EXPORT_COLUMNS = Object.keys(COLUMN_SET) as ListedField[];

export interface ExportEncoding {
  contentType: string;
  extension: string;
  /** One page of rows as text; the first page of a CSV export starts with the header row. */
  encode(rows: MessageResponseDto[], first: boolean): string;
}

export const EXPORT_ENCODINGS: Record<ExportFormat, ExportEncoding> = {
  csv: {
    contentType: 'text/csv; charset=utf-8',
    extension: 'csv',
    encode: (rows, first) =>
      stringify(rows, {
        header: first,
        columns: EXPORT_COLUMNS,
        // RFC 4180 ends records with CRLF.
        record_delimiter: 'windows',
        // Error texts and numbers come from tenants' recipients and the upstream: a cell starting with = + - @ tab
        // or CR would run as a formula in a spreadsheet, so it gets a leading apostrophe (OWASP "CSV injection").
        escape_formulas: true,
      }),
  },
  ndjson: {
    contentType: 'application/x-ndjson',
    extension: 'ndjson',
    encode: (rows) => rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
  },
};

/** `messages-2026-12-03.csv`: the day (UTC) the export was made. */
export function exportFileName(encoding: ExportEncoding, now: Date): string {
  return `messages-${now.toISOString().slice(0, 10)}.${encoding.extension}`;
}

/** The export's text, page by page, pulled only as fast as the reader takes it. */
export async function* encodePages(
  encoding: ExportEncoding,
  pages: AsyncIterable<MessageResponseDto[]>,
): AsyncGenerator<string> {
  let first = true;
  for await (const page of pages) {
    const text = encoding.encode(page, first);
    first = false;
    if (text.length > 0) yield text;
  }
}
