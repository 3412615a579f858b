import { contentWarnings, render } from './content-guard';

describe('bulk content guard', () => {
  it('fills placeholders and names a missing variable', () => {
    expect(render('Hi {{name}}, order {{ order }} is ready', { name: 'Amina', order: 42 })).toEqual({ ok: true, text: 'Hi Amina, order 42 is ready' });
    expect(render('Hi {{name}}', {})).toEqual({ ok: false, reason: 'variables.name: is missing for this recipient' });
    expect(render('No placeholders', undefined)).toEqual({ ok: true, text: 'No placeholders' });
  });

  it('warns when one text goes to more than 10 recipients, not at 10', () => {
    expect(contentWarnings(Array(10).fill('same'))).toEqual([]);
    expect(contentWarnings(Array(11).fill('same'))[0]).toMatch(/^The same text goes to 11 recipients/);
    expect(contentWarnings(Array.from({ length: 20 }, (_, i) => `text ${i}`))).toEqual([]);
  });

  it('warns about URL shorteners but not about full URLs that merely contain the letters', () => {
    expect(contentWarnings(['see https://bit.ly/abc'])).toEqual([expect.stringMatching(/URL shortener bit\.ly/)]);
    expect(contentWarnings(['see https://example.com/habit.ly/x'])).toEqual([]);
  });
});
