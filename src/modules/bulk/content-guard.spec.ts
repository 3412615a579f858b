import {
  BulkTemplate,
  ContentScan,
  IDENTICAL_TEXT_LIMIT,
  MAX_TEXT_LENGTH,
  URL_SHORTENERS,
  Variables,
} from './content-guard';

function warnings(template: string, recipients: (Variables | undefined)[]): string[] {
  const scan = new ContentScan(new BulkTemplate(template));
  for (const variables of recipients) scan.add(variables);
  return scan.warnings();
}

describe('bulk content guard', () => {
  it('fills placeholders (a name may repeat) and names a missing variable', () => {
    const template = new BulkTemplate('Hi {{name}}, order {{ order }} is ready, {{name}}');
    expect(template.render({ name: 'Amina', order: 42 })).toEqual({
      ok: true,
      text: 'Hi Amina, order 42 is ready, Amina',
    });
    expect(template.render({ name: 'Amina' })).toEqual({
      ok: false,
      reason: 'variables.order: is missing for this recipient',
    });
    expect(new BulkTemplate('No placeholders').render(undefined)).toEqual({ ok: true, text: 'No placeholders' });
  });

  it('refuses a recipient whose filled-in text is longer than WhatsApp takes, without rendering it', () => {
    const template = new BulkTemplate(`${'x'.repeat(MAX_TEXT_LENGTH - 10)} {{a}}{{a}}`);
    expect(template.check({ a: '1234' })).toEqual({ ok: true });
    expect(template.check({ a: '12345' })).toEqual({
      ok: false,
      reason: `the filled-in text is ${MAX_TEXT_LENGTH + 1} characters; WhatsApp takes at most ${MAX_TEXT_LENGTH}`,
    });
  });

  it('warns when one text goes to more than 10 recipients, not at 10, telling texts apart by the variables they use', () => {
    const none = (n: number): undefined[] => Array.from({ length: n }, () => undefined);
    expect(warnings('same', none(10))).toEqual([]);
    expect(warnings('same', none(11))[0]).toMatch(/^The same text goes to 11 recipients/);
    expect(
      warnings(
        'Hi {{name}}',
        Array.from({ length: 20 }, (_, i) => ({ name: `n${i}` })),
      ),
    ).toEqual([]);
    // A variable the text does not use does not make texts differ.
    expect(
      warnings(
        'Hi {{name}}',
        Array.from({ length: 11 }, (_, i) => ({ name: 'Amina', unused: i })),
      )[0],
    ).toMatch(/^The same text goes to 11/);
  });

  it('warns about URL shorteners in the template or in a used variable, not about full URLs that merely contain the letters', () => {
    expect(warnings('see https://bit.ly/abc', [undefined])).toEqual([expect.stringMatching(/URL shortener bit\.ly/)]);
    expect(warnings('see {{link}}', [{ link: 'https://example.com' }, { link: 'https://TinyURL.com/x' }])).toEqual([
      expect.stringMatching(/URL shortener tinyurl\.com/),
    ]);
    expect(warnings('see https://example.com/habit.ly/x', [undefined])).toEqual([]);
    expect(warnings('see {{link}}', [{ link: 'https://example.com/', other: 'https://bit.ly/x' }])).toEqual([]);
  });

  it('takes only {{identifier}} as a placeholder and leaves other braces as they are', () => {
    const template = new BulkTemplate('{{ a }} {{1a}} {{a-b}} {a} {{_x9}}');
    expect(template.check(undefined)).toEqual({ ok: false, reason: 'variables.a: is missing for this recipient' });
    expect(template.render({ a: 'A', _x9: 'X' })).toEqual({ ok: true, text: 'A {{1a}} {{a-b}} {a} X' });
  });

  it('inserts values literally: no second pass over a value, no replacement patterns', () => {
    const template = new BulkTemplate('Hi {{name}}, {{code}}');
    expect(template.render({ name: '{{code}}', code: "$& $1 $$ $'" })).toEqual({
      ok: true,
      text: "Hi {{code}}, $& $1 $$ $'",
    });
  });

  it('takes empty strings and zero as values, names the first missing placeholder, and ignores extra variables', () => {
    const template = new BulkTemplate('{{a}}{{b}}{{c}}');
    expect(template.render({ a: '', b: 0, c: 'x', d: 'unused' })).toEqual({ ok: true, text: '0x' });
    expect(template.check({ a: 'x' })).toEqual({ ok: false, reason: 'variables.b: is missing for this recipient' });
  });

  it('measures the filled-in length without the placeholders’ own braces and spaces', () => {
    const template = new BulkTemplate(`${'x'.repeat(MAX_TEXT_LENGTH - 3)}{{  a  }}`);
    expect(template.check({ a: 'abc' })).toEqual({ ok: true });
    expect(template.check({ a: 'abcd' })).toMatchObject({ ok: false });
    // A number counts by its printed length.
    expect(template.check({ a: 123 })).toEqual({ ok: true });
    expect(template.check({ a: 1234 })).toMatchObject({ ok: false });
    // render refuses what check refuses.
    expect(template.render({ a: 'abcd' })).toEqual(template.check({ a: 'abcd' }));
  });

  it('fills a placeholder only from the recipient’s own variables, never from Object.prototype', () => {
    const template = new BulkTemplate('Hi {{constructor}} {{toString}}');
    expect(template.check({ name: 'Amina' })).toEqual({
      ok: false,
      reason: 'variables.constructor: is missing for this recipient',
    });
    expect(template.render({ constructor: 'Amina', toString: 'x' })).toEqual({ ok: true, text: 'Hi Amina x' });
  });

  it('counts a number and the same digits as a string as one text, as the recipients see them', () => {
    const template = new BulkTemplate('Code {{c}}');
    expect(template.textKey({ c: 1 })).toBe(template.textKey({ c: '1' }));
    const mixed = Array.from({ length: 12 }, (_, i) => ({ c: i % 2 === 0 ? 1 : '1' }));
    expect(warnings('Code {{c}}', mixed)[0]).toMatch(/^The same text goes to 12 recipients/);
  });

  it('keys a text by the values of the placeholders it uses, in first-use order, and lists those values', () => {
    const template = new BulkTemplate('{{b}} {{a}} {{b}}');
    expect(template.textKey({ a: 'x', b: 'y', z: 'ignored' })).toBe(template.textKey({ b: 'y', a: 'x' }));
    expect(template.textKey({ a: 'x', b: 'y' })).not.toBe(template.textKey({ a: 'y', b: 'x' }));
    expect(template.usedValues({ a: 'x', b: 7, z: 'ignored' })).toEqual(['7', 'x']);
    expect(template.usedValues(undefined)).toEqual(['', '']);
    expect(new BulkTemplate('plain').textKey({ a: 1 })).toBe(new BulkTemplate('plain').textKey(undefined));
  });

  it('warns about nothing for a bulk without recipients, and gives both warnings in order', () => {
    expect(warnings('see https://bit.ly/x', [])).toEqual([expect.stringMatching(/URL shortener bit\.ly/)]);
    expect(warnings('Hi {{name}}', [])).toEqual([]);
    const both = warnings(
      'see https://bit.ly/x',
      Array.from({ length: IDENTICAL_TEXT_LIMIT + 1 }, () => undefined),
    );
    expect(both).toHaveLength(2);
    expect(both[0]).toMatch(/^The same text goes to 11 recipients/);
    expect(both[1]).toMatch(/URL shortener bit\.ly/);
  });

  it('counts the most repeated text, not the total', () => {
    const recipients = [
      ...Array.from({ length: 11 }, () => ({ name: 'Amina' })),
      ...Array.from({ length: 30 }, (_, i) => ({ name: `n${i}` })),
    ];
    expect(warnings('Hi {{name}}', recipients)).toEqual([
      expect.stringMatching(/^The same text goes to 11 recipients/),
    ]);
    expect(warnings('Hi {{name}}', recipients.slice(1))).toEqual([]);
  });

  it.each(URL_SHORTENERS)('recognises %s links, with or without a scheme, in any case', (host) => {
    expect(warnings(`go to ${host}/abc`, [undefined])).toEqual([expect.stringContaining(`URL shortener ${host};`)]);
    expect(warnings(`(${host.toUpperCase()}/abc)`, [undefined])).toEqual([
      expect.stringContaining(`URL shortener ${host};`),
    ]);
    expect(warnings(`${host}/abc`, [undefined])).toHaveLength(1);
  });

  it('does not take a longer host, a sub-domain, or a host without a path for a shortener', () => {
    for (const text of [
      'https://microsoft.com/x',
      'https://sub.bit.ly/x',
      'https://my-bit.ly/x',
      'bit.ly',
      'mail me at someone@bit.lyx.com',
      'https://example.com/t.co',
    ]) {
      expect(warnings(text, [undefined])).toEqual([]);
    }
  });

  it('names the first shortener found: the template’s, else the first recipient value that has one', () => {
    expect(warnings('https://t.co/a {{link}}', [{ link: 'https://bit.ly/b' }])[0]).toMatch(/URL shortener t\.co;/);
    expect(
      warnings('{{link}}', [
        { link: 'https://example.com' },
        { link: 'https://is.gd/b' },
        { link: 'https://bit.ly/c' },
      ])[0],
    ).toMatch(/URL shortener is\.gd;/);
  });
});
