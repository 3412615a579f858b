/** How a column's value comes back from node-postgres (with PrismaService's type parsers) or from `$queryRaw`. */
export type ColumnKind = 'string' | 'number' | 'bigint' | 'boolean' | 'date' | 'json' | 'strings';
/** A column's kind; with a `?`, the column may also be NULL. */
export type Column = ColumnKind | `${ColumnKind}?`;

/** One entry per field of the model: a field added to it (a new column) does not compile until it is mapped. */
export type RowShape<T> = { [K in keyof Required<T>]: Column };

const IS_KIND: Record<ColumnKind, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  bigint: (v) => typeof v === 'bigint',
  boolean: (v) => typeof v === 'boolean',
  date: (v) => v instanceof Date,
  json: () => true,
  strings: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
};

/**
 * Maps a row of hand-written SQL (snake_case columns) to the model Prisma would return, checking that every column is
 * there with the type the model says. The hot paths read with hand-written SQL because Prisma's query compiler costs
 * more CPU per query than the query itself; this keeps them as typed as Prisma: a query that stops selecting a
 * column, or a column whose type changed, fails naming the column instead of handing a service an object that only
 * claims to be a T.
 */
export function rowMapper<T>(table: string, shape: RowShape<T>): (row: Record<string, unknown>) => T {
  const fields = Object.entries(shape as Record<string, Column>).map(([field, column]) => ({
    field,
    column: field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    kind: column.replace('?', '') as ColumnKind,
    nullable: column.endsWith('?'),
  }));
  return (row) => {
    const model: Record<string, unknown> = {};
    for (const { field, column, kind, nullable } of fields) {
      const value = row[column];
      if (value === undefined) throw new Error(`${table} row: column ${column} is missing`);
      if (value === null ? !nullable : !IS_KIND[kind](value))
        throw new Error(`${table} row: column ${column} is not ${nullable ? `${kind} or null` : kind}`);
      model[field] = value;
    }
    return model as T;
  };
}
