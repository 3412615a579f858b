import { rowMapper } from './row-mapping';

interface Thing {
  id: bigint;
  clientId: number;
  name: string;
  doneAt: Date | null;
  tags: string[];
  active: boolean;
  data: unknown;
}

const thing = rowMapper<Thing>('things', {
  id: 'bigint',
  clientId: 'number',
  name: 'string',
  doneAt: 'date?',
  tags: 'strings',
  active: 'boolean',
  data: 'json?',
});

const row = {
  id: 7n,
  client_id: 3,
  name: 'x',
  done_at: null,
  tags: ['a'],
  active: true,
  data: { a: 1 },
  extra: 'ignored',
};

describe('rowMapper', () => {
  it('maps snake_case columns to the model’s fields, and only the model’s', () => {
    expect(thing(row)).toEqual({
      id: 7n,
      clientId: 3,
      name: 'x',
      doneAt: null,
      tags: ['a'],
      active: true,
      data: { a: 1 },
    });
  });

  it('names a column the query did not select', () => {
    const missing: Record<string, unknown> = { ...row };
    delete missing.client_id;
    expect(() => thing(missing)).toThrow('things row: column client_id is missing');
  });

  it('names a column of the wrong type, and NULL where the model does not allow it', () => {
    expect(() => thing({ ...row, id: '7' })).toThrow('things row: column id is not bigint');
    expect(() => thing({ ...row, name: null })).toThrow('things row: column name is not string');
    expect(() => thing({ ...row, done_at: '2026-01-01' })).toThrow('things row: column done_at is not date or null');
    expect(() => thing({ ...row, tags: [1] })).toThrow('things row: column tags is not strings');
  });
});
