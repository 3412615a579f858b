import { ValidationError } from '@/common/errors/app-error';

/**
 * The opaque `next_cursor` of a list paged newest first by id: the last row's id, tagged with the list's letter so a
 * cursor of one list is refused by another.
 */
export function keysetCursor(tag: string): { encode(id: bigint): string; decode(cursor: string): bigint } {
  const pattern = new RegExp(`^${tag}:(\\d{1,19})$`);
  return {
    encode: (id) => Buffer.from(`${tag}:${id}`).toString('base64url'),
    decode: (cursor) => {
      const match = pattern.exec(Buffer.from(cursor, 'base64url').toString());
      if (!match) throw new ValidationError('cursor: must be the next_cursor of a previous page');
      return BigInt(match[1]!);
    },
  };
}
