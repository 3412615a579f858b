import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS, inboundText, matchKeyword, phoneOfJid } from './keywords';

const KEYWORDS = { optOut: DEFAULT_OPT_OUT_KEYWORDS, optIn: DEFAULT_OPT_IN_KEYWORDS };

function upsert(key: Record<string, unknown>, message: Record<string, unknown> = { conversation: 'STOP' }) {
  return { key: { id: 'WA-1', fromMe: false, ...key }, message };
}

describe('opt-out keywords', () => {
  it('matches a whole keyword, trimmed and in any case', () => {
    expect(matchKeyword('  stop\n', KEYWORDS)).toEqual({ keyword: 'STOP', optedOut: true });
    expect(matchKeyword('Unsubscribe', KEYWORDS)).toEqual({ keyword: 'UNSUBSCRIBE', optedOut: true });
    expect(matchKeyword('unstop', KEYWORDS)).toEqual({ keyword: 'UNSTOP', optedOut: false });
    expect(matchKeyword('START', KEYWORDS)).toEqual({ keyword: 'START', optedOut: false });
  });

  it('ignores a keyword inside a sentence, and anything else', () => {
    for (const text of ['stop it', 'please stop', 'STOP.', '', '   ', 'stopp'])
      expect(matchKeyword(text, KEYWORDS)).toBeNull();
    expect(matchKeyword('STOP', { optOut: [], optIn: [] })).toBeNull();
  });

  it('reads the sender of a person’s text message', () => {
    expect(inboundText(upsert({ remoteJid: '254712345678@s.whatsapp.net' }))).toEqual({
      number: '254712345678',
      text: 'STOP',
    });
    expect(
      inboundText(upsert({ remoteJid: '254712345678@s.whatsapp.net' }, { extendedTextMessage: { text: 'stop' } })),
    ).toEqual({ number: '254712345678', text: 'stop' });
    // A sender known by its LID: the phone JID is beside it.
    expect(
      inboundText(upsert({ remoteJid: '123456789012345@lid', remoteJidAlt: '254712345678@s.whatsapp.net' })),
    ).toEqual({ number: '254712345678', text: 'STOP' });
  });

  it('ignores the instance’s own messages, groups, broadcasts, LIDs without a phone and non-text messages', () => {
    expect(inboundText(upsert({ remoteJid: '254712345678@s.whatsapp.net', fromMe: true }))).toBeNull();
    expect(
      inboundText(upsert({ remoteJid: '120363025246125888@g.us', participant: '254712345678@s.whatsapp.net' })),
    ).toBeNull();
    expect(inboundText(upsert({ remoteJid: 'status@broadcast' }))).toBeNull();
    expect(inboundText(upsert({ remoteJid: '123456789012345@lid' }))).toBeNull();
    expect(inboundText(upsert({ remoteJid: '254712345678@s.whatsapp.net' }, { imageMessage: {} }))).toBeNull();
    expect(inboundText({})).toBeNull();
  });

  it('reads the number of a person’s JID, device suffix or not', () => {
    expect(phoneOfJid('254712345678:12@s.whatsapp.net')).toBe('254712345678');
    expect(phoneOfJid('254712345678@g.us')).toBeNull();
    expect(phoneOfJid(42)).toBeNull();
  });
});
