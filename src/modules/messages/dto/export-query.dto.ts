import { OptionalOneOf } from '@/common/validation/query-fields';
import { MessageFiltersDto } from './logs-query.dto';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportQueryDto extends MessageFiltersDto {
  @OptionalOneOf(EXPORT_FORMATS, 'csv (the default): RFC 4180 with a header row; ndjson: one JSON object a line')
  format: ExportFormat = 'csv';
}
