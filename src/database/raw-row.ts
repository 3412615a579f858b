/**
 * A `$queryRaw` row (snake_case columns) as the camelCase model Prisma would return. The hot paths read with
 * hand-written SQL because Prisma's query compiler costs more CPU per query than the query itself; the column
 * types (Date, bigint, arrays) come back the same either way.
 */
export function fromRow<T>(row: Record<string, unknown>): T {
  const model: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row))
    model[column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return model as T;
}
