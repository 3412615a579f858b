import { dedupeKey } from './upstream-webhook.service';

describe('dedupeKey', () => {
  it('keys a status update by message id and status: a repeat matches, the next status does not', () => {
    const delivered = dedupeKey('messages.update', { keyId: 'WA-1', status: 'DELIVERY_ACK' });
    expect(delivered).toBe('messages.update:WA-1:DELIVERY_ACK');
    expect(dedupeKey('messages.update', { keyId: 'WA-1', status: 'DELIVERY_ACK', remoteJid: 'x' })).toBe(delivered);
    expect(dedupeKey('messages.update', { keyId: 'WA-1', status: 'READ' })).not.toBe(delivered);
    expect(dedupeKey('messages.update', { keyId: 'WA-2', status: 'DELIVERY_ACK' })).not.toBe(delivered);
  });

  it('prefers the status form for messages.update even when the data also carries a key', () => {
    expect(dedupeKey('messages.update', { keyId: 'WA-1', status: 'READ', key: { id: 'WA-9' } })).toBe(
      'messages.update:WA-1:READ',
    );
  });

  it('falls back to key.id for a status update without a string keyId', () => {
    expect(dedupeKey('messages.update', { keyId: 12, status: 'READ', key: { id: 'WA-3' } })).toBe(
      'messages.update:WA-3',
    );
    expect(dedupeKey('messages.update', { status: 'READ' })).toBeNull();
  });

  it('keys any event carrying key.id by event and id, so one message’s different events stay apart', () => {
    expect(dedupeKey('messages.upsert', { key: { id: 'WA-1', fromMe: false } })).toBe('messages.upsert:WA-1');
    expect(dedupeKey('send.message', { key: { id: 'WA-1' } })).toBe('send.message:WA-1');
    expect(dedupeKey('messages.delete', { key: { id: 'WA-1' }, id: 'other' })).toBe('messages.delete:WA-1');
  });

  it('ignores a key that is not an object or whose id is not a string', () => {
    expect(dedupeKey('messages.upsert', { key: 'WA-1' })).toBeNull();
    expect(dedupeKey('messages.upsert', { key: ['WA-1'] })).toBeNull();
    expect(dedupeKey('messages.upsert', { key: { id: 7 } })).toBeNull();
    expect(dedupeKey('messages.upsert', { key: null })).toBeNull();
  });

  it('keys a delete without a key by its id, and only a delete', () => {
    expect(dedupeKey('messages.delete', { id: 'WA-5' })).toBe('messages.delete:WA-5');
    expect(dedupeKey('messages.delete', { id: 5 })).toBeNull();
    expect(dedupeKey('chats.update', { id: 'WA-5' })).toBeNull();
  });

  it('keys a QR update by the code, so a new QR is not a repeat', () => {
    expect(dedupeKey('qrcode.updated', { qrcode: { code: '2@abc', base64: 'data:' } })).toBe('qrcode.updated:2@abc');
    expect(dedupeKey('qrcode.updated', { qrcode: { code: '2@def' } })).toBe('qrcode.updated:2@def');
    expect(dedupeKey('qrcode.updated', { qrcode: { base64: 'data:' } })).toBeNull();
    expect(dedupeKey('qrcode.updated', { qrcode: '2@abc' })).toBeNull();
    expect(dedupeKey('connection.update', { qrcode: { code: '2@abc' } })).toBeNull();
  });

  it('gives events without an identity no key, so each one is delivered', () => {
    expect(dedupeKey('connection.update', { state: 'open' })).toBeNull();
    expect(dedupeKey('presence.update', {})).toBeNull();
  });
});
