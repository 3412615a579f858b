import { LiveEventOwner, WS_CLOSE } from './live-event';

/** What the registry needs of a socket (the `ws` WebSocket; a fake in unit tests). */
export interface LiveSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** Which events a socket receives: an operator's every client's, or one client's; optionally one instance's. */
export interface Subscription {
  /** null for an operator (admin JWT or master key). */
  clientId: number | null;
  /** Set by an instance key or `?instance=`. */
  instanceId: string | null;
}

const OPEN = 1;

/** Which sockets' events this process now needs (a client's, or every client's for operators) or no longer does. */
export type InterestChange = { clientId: number | null; listening: boolean };

interface Entry<C> {
  socket: LiveSocket;
  subscription: Subscription;
  credential: C;
  /** Cleared on each ping, set by the pong. */
  alive: boolean;
}

/**
 * The open `/ws` sockets of this process, indexed by client so an event is matched against its tenant's sockets
 * (and the operators') only. `C` is what the socket authenticated with, kept for the periodic re-check.
 */
export class LiveSockets<C = unknown> {
  private readonly all = new Map<LiveSocket, Entry<C>>();
  private readonly byClient = new Map<number, Set<Entry<C>>>();
  private readonly operators = new Set<Entry<C>>();
  /** Told when the first socket of a client (or the first operator) opens and when the last one closes. */
  onInterest: (change: InterestChange) => void = () => undefined;

  /**
   * @param maxBufferedBytes a socket whose unsent data passes this is dropped (WS_MAX_BUFFERED_BYTES): a client that
   *   does not read would otherwise make the process hold every event for it.
   */
  constructor(private readonly maxBufferedBytes: number) {}

  get size(): number {
    return this.all.size;
  }

  add(socket: LiveSocket, subscription: Subscription, credential: C): void {
    const entry: Entry<C> = { socket, subscription, credential, alive: true };
    this.all.set(socket, entry);
    const group = this.groupOf(subscription.clientId, true)!;
    group.add(entry);
    if (group.size === 1) this.onInterest({ clientId: subscription.clientId, listening: true });
  }

  remove(socket: LiveSocket): void {
    const entry = this.all.get(socket);
    if (!entry) return;
    this.all.delete(socket);
    const { clientId } = entry.subscription;
    const group = this.groupOf(clientId, false);
    if (!group?.delete(entry) || group.size > 0) return;
    if (clientId !== null) this.byClient.delete(clientId);
    this.onInterest({ clientId, listening: false });
  }

  private groupOf(clientId: number | null, create: boolean): Set<Entry<C>> | undefined {
    if (clientId === null) return this.operators;
    let group = this.byClient.get(clientId);
    if (!group && create) this.byClient.set(clientId, (group = new Set<Entry<C>>()));
    return group;
  }

  /**
   * Sends an event's JSON to the sockets that may see it: the owner's client's (`to: 'client'`) or the operators'
   * (`to: 'operators'`), each group reached through its own subscription; a socket too far behind is closed instead.
   */
  deliver(owner: LiveEventOwner, json: string, to: 'client' | 'operators'): number {
    let sent = 0;
    const group = to === 'client' ? this.byClient.get(owner.clientId) : this.operators;
    if (group) {
      for (const entry of [...group]) {
        const { instanceId } = entry.subscription;
        if (instanceId !== null && instanceId !== owner.instanceId) continue;
        if (entry.socket.readyState !== OPEN) continue;
        if (entry.socket.bufferedAmount > this.maxBufferedBytes) {
          this.drop(entry.socket, WS_CLOSE.slowConsumer, 'slow consumer: too many unread events');
          continue;
        }
        entry.socket.send(json);
        sent += 1;
      }
    }
    return sent;
  }

  pong(socket: LiveSocket): void {
    const entry = this.all.get(socket);
    if (entry) entry.alive = true;
  }

  /** One keep-alive round: a socket that did not answer the previous round's ping is cut, the others pinged. */
  heartbeat(): void {
    for (const entry of [...this.all.values()]) {
      if (!entry.alive) {
        this.remove(entry.socket);
        entry.socket.terminate();
        continue;
      }
      entry.alive = false;
      if (entry.socket.readyState === OPEN) entry.socket.ping();
    }
  }

  /** Every socket with its credential, for the re-check. */
  credentials(): { socket: LiveSocket; credential: C }[] {
    return [...this.all.values()].map(({ socket, credential }) => ({ socket, credential }));
  }

  /** Closes one socket and forgets it at once, so it gets no more events while its close handshake runs. */
  drop(socket: LiveSocket, code: number, reason: string): void {
    this.remove(socket);
    socket.close(code, reason);
  }

  /** Closes every socket; resolves when all have closed, cutting those still open after `graceMs`. */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    const sockets = [...this.all.keys()];
    const closed = sockets.map((socket) => new Promise<void>((resolve) => socket.once('close', resolve)));
    for (const socket of sockets) this.drop(socket, code, reason);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([Promise.all(closed), late])) === 'late') for (const socket of sockets) socket.terminate();
    clearTimeout(timer);
  }
}
