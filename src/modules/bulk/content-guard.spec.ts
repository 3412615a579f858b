import { BulkTemplate, ContentScan, MAX_TEXT_LENGTH, Variables } from './content-guard';

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
});
