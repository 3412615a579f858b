import { MAX_BODY_DEPTH, unsafeInput } from './input-guard';

describe(unsafeInput.name, () => {
  it('accepts ordinary input, emoji (surrogate pairs) included', () => {
    expect(
      unsafeInput(
        { number: '254712345678', text: 'Habari 👋🏽', recipients: [{ number: '1', variables: { a: 1 } }] },
        'body',
      ),
    ).toBeUndefined();
    expect(unsafeInput(undefined, 'body')).toBeUndefined();
  });

  it('names the field that holds a NUL or a lone surrogate', () => {
    expect(unsafeInput({ username: 'ad\u0000min' }, 'body')).toBe(
      'username: contains a NUL character or an unpaired UTF-16 surrogate',
    );
    expect(unsafeInput({ recipients: ['254712345678', { number: 'x\uD800' }] }, 'body')).toBe(
      'recipients[1].number: contains a NUL character or an unpaired UTF-16 surrogate',
    );
    expect(unsafeInput({ action: '\uDC00x' }, 'query')).toBe(
      'query.action: contains a NUL character or an unpaired UTF-16 surrogate',
    );
  });

  it('refuses nesting past the limit without overflowing the stack, however deep', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100000; i++) deep = { a: deep };
    expect(unsafeInput(deep, 'body')).toBe(`body: is nested more than ${MAX_BODY_DEPTH} levels deep`);
    let fine: unknown = 'leaf';
    for (let i = 0; i < MAX_BODY_DEPTH - 1; i++) fine = [fine];
    expect(unsafeInput(fine, 'body')).toBeUndefined();
  });
});
