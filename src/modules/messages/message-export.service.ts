import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ClientAuth } from '@/modules/auth/auth-context';
import { ExportQueryDto } from './dto/export-query.dto';
import { MessageResponseDto, toMessageResponse } from './dto/message-response.dto';
import { MessageFilters, MessageRepository, MessageWithInstance } from './message.repository';
import { encodePages, EXPORT_ENCODINGS, exportFileName } from './message-export';
import { MessageLogService } from './message-log.service';

/**
 * Rows read per query (one walk of the (client_id, id) index from where the last page ended): all an export holds
 * in memory at once, whatever its length.
 */
export const EXPORT_PAGE_ROWS = 1000;

export interface MessageExport {
  contentType: string;
  fileName: string;
  /** The export's bytes; destroying it (the client went away) stops the reading. */
  stream: Readable;
}

/** The message log as a file, newest first, with the filters and scope of the paged log. */
@Injectable()
export class MessageExportService {
  constructor(
    private readonly log: MessageLogService,
    private readonly messages: MessageRepository,
  ) {}

  async export(auth: ClientAuth, q: ExportQueryDto): Promise<MessageExport> {
    const filters = await this.log.filters(auth, q);
    // Read before the answer starts, so a failure here still gets its status and the usual error body.
    const first = await this.page(auth.clientId, filters, undefined);
    const encoding = EXPORT_ENCODINGS[q.format];
    return {
      contentType: encoding.contentType,
      fileName: exportFileName(encoding, new Date()),
      stream: Readable.from(encodePages(encoding, this.pages(auth.clientId, filters, first)), { objectMode: false }),
    };
  }

  /** Page after page by keyset (ids below the last one sent), each read only when the previous one has been taken. */
  private async *pages(
    clientId: number,
    filters: MessageFilters,
    first: MessageWithInstance[],
  ): AsyncGenerator<MessageResponseDto[]> {
    let rows = first;
    for (;;) {
      yield rows.map((row) => toMessageResponse(row, row.instance.name));
      const last = rows.at(-1);
      if (rows.length < EXPORT_PAGE_ROWS || !last) return;
      rows = await this.page(clientId, filters, last.id);
    }
  }

  private page(clientId: number, filters: MessageFilters, beforeId: bigint | undefined) {
    return this.messages.exportPageForClient(clientId, filters, { limit: EXPORT_PAGE_ROWS, beforeId });
  }
}
