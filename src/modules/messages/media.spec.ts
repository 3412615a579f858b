import { readMedia } from './media';

describe(readMedia.name, () => {
  it('passes URLs through', () => {
    expect(readMedia('https://example.com/a.jpg', 100)).toEqual({ media: 'https://example.com/a.jpg', url: true });
  });

  it('strips a data URI prefix and keeps its MIME type', () => {
    expect(readMedia('data:audio/mpeg;base64,SUQzAw==', 100)).toEqual({ media: 'SUQzAw==', mimetype: 'audio/mpeg' });
  });

  it('accepts bare base64 and counts decoded bytes against the limit', () => {
    expect(readMedia('AAAA', 3)).toEqual({ media: 'AAAA', mimetype: undefined });
    expect(() => readMedia('AAAAAAAA', 5)).toThrow(/media: is 6 bytes, larger than the 5-byte limit/);
  });

  it('rejects anything else naming the field', () => {
    expect(() => readMedia('not base64 !!', 100)).toThrow(/^media: must be an http\(s\) URL/);
  });
});
