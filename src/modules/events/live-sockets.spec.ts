import { decodeLiveEvent, encodeLiveEvent, WS_CLOSE } from './live-event';
import { LiveSocket, LiveSockets } from './live-sockets';

const LIMIT = 4096;

class FakeSocket implements LiveSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  pings = 0;
  closedWith: [number, string] | null = null;
  terminated = false;
  private onClose: (() => void) | null = null;
  send(data: string) {
    this.sent.push(data);
  }
  ping() {
    this.pings += 1;
  }
  close(code: number, reason: string) {
    this.closedWith = [code, reason];
    this.readyState = 3;
    this.onClose?.();
  }
  terminate() {
    this.terminated = true;
  }
  once(_event: 'close', listener: () => void) {
    this.onClose = listener;
    return this;
  }
}

describe(LiveSockets.name, () => {
  const ownerA = { clientId: 1, instanceId: 'i-a' };

  it('sends an event to its client’s sockets and the operators’, narrowed by instance', () => {
    const sut = new LiveSockets(LIMIT);
    const [client, narrowed, elsewhere, otherClient, operator] = Array.from({ length: 5 }, () => new FakeSocket());
    sut.add(client!, { clientId: 1, instanceId: null }, null);
    sut.add(narrowed!, { clientId: 1, instanceId: 'i-a' }, null);
    sut.add(elsewhere!, { clientId: 1, instanceId: 'i-b' }, null);
    sut.add(otherClient!, { clientId: 2, instanceId: null }, null);
    sut.add(operator!, { clientId: null, instanceId: null }, null);
    expect(sut.deliver(ownerA, '{"event":"x"}', 'client')).toBe(2);
    expect(sut.deliver(ownerA, '{"event":"x"}', 'operators')).toBe(1);
    expect([client, narrowed, operator].map((s) => s!.sent)).toEqual([
      ['{"event":"x"}'],
      ['{"event":"x"}'],
      ['{"event":"x"}'],
    ]);
    expect(elsewhere!.sent).toEqual([]);
    expect(otherClient!.sent).toEqual([]);
  });

  it('closes a socket whose unsent data passes the bound instead of queueing more', () => {
    const sut = new LiveSockets(LIMIT);
    const slow = new FakeSocket();
    sut.add(slow, { clientId: 1, instanceId: null }, null);
    slow.bufferedAmount = LIMIT;
    expect(sut.deliver(ownerA, '{}', 'client')).toBe(1);
    slow.bufferedAmount = LIMIT + 1;
    expect(sut.deliver(ownerA, '{}', 'client')).toBe(0);
    expect(slow.closedWith?.[0]).toBe(WS_CLOSE.slowConsumer);
    expect(sut.size).toBe(0);
  });

  it('pings every socket and cuts one that did not answer the previous ping', () => {
    const sut = new LiveSockets(LIMIT);
    const [answers, silent] = [new FakeSocket(), new FakeSocket()];
    sut.add(answers, { clientId: 1, instanceId: null }, null);
    sut.add(silent, { clientId: 1, instanceId: null }, null);
    sut.heartbeat();
    expect([answers.pings, silent.pings]).toEqual([1, 1]);
    sut.pong(answers);
    sut.heartbeat();
    expect(silent.terminated).toBe(true);
    expect(answers.terminated).toBe(false);
    expect(sut.size).toBe(1);
  });

  it('closes every socket on shutdown, cutting those that do not finish the close in time', async () => {
    const sut = new LiveSockets(LIMIT);
    const stuck = new FakeSocket();
    stuck.once = () => stuck;
    sut.add(stuck, { clientId: null, instanceId: null }, null);
    await sut.closeAll(WS_CLOSE.goingAway, 'server shutting down', 10);
    expect(stuck.closedWith).toEqual([1001, 'server shutting down']);
    expect(stuck.terminated).toBe(true);
  });

  it('carries the owner beside the event on the channel and reads it back', () => {
    const event = { event: 'send.message', instance: 'shop', data: { a: 1 }, date_time: 'now' };
    const decoded = decodeLiveEvent(encodeLiveEvent({ clientId: 7, instanceId: 'i-7' }, event));
    expect(decoded).toEqual({ owner: { clientId: 7, instanceId: 'i-7' }, json: JSON.stringify(event) });
    expect(decodeLiveEvent('garbage')).toBeNull();
  });

  it('tells when a client’s first socket opens and its last closes, and the same for operators', () => {
    const sut = new LiveSockets(LIMIT);
    const changes: unknown[] = [];
    sut.onInterest = (change) => changes.push(change);
    const [a, b, operator] = Array.from({ length: 3 }, () => new FakeSocket());
    sut.add(a!, { clientId: 1, instanceId: null }, null);
    sut.add(b!, { clientId: 1, instanceId: 'i-a' }, null);
    sut.add(operator!, { clientId: null, instanceId: null }, null);
    sut.remove(a!);
    sut.remove(b!);
    sut.remove(b!);
    sut.remove(operator!);
    expect(changes).toEqual([
      { clientId: 1, listening: true },
      { clientId: null, listening: true },
      { clientId: 1, listening: false },
      { clientId: null, listening: false },
    ]);
  });
});
