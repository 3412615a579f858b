/** Deeper than this, a JSON body is not a request any route takes, only a way to exhaust the validator's stack. */
export const MAX_BODY_DEPTH = 32;

/** A NUL (Postgres text cannot hold it) or a lone UTF-16 surrogate (not valid UTF-8, so not storable either). */
// eslint-disable-next-line no-control-regex -- matching NUL is the point.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first problem with a request's input that no route's validation can answer well: nesting deeper than
 * MAX_BODY_DEPTH, or a string (or key) no database column can store. Returns `field: reason` for a 400, or undefined.
 * Walks iteratively, so a body nested thousands of levels deep cannot overflow the stack here either.
 */
export function unsafeInput(value: unknown, root: string): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (UNSTORABLE.test(current)) return `${path}: contains a NUL character or an unpaired UTF-16 surrogate`;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_BODY_DEPTH) return `${root}: is nested more than ${MAX_BODY_DEPTH} levels deep`;
    for (const [key, child] of Object.entries(current)) {
      const childPath = Array.isArray(current)
        ? `${path}[${key}]`
        : path === root && root === 'body'
          ? key
          : `${path}.${key}`;
      if (UNSTORABLE.test(key)) return `${path}: has a key with a NUL character or an unpaired UTF-16 surrogate`;
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}
