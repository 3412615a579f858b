import { Injectable } from '@nestjs/common';

/**
 * Sends whose upstream answer is being recorded, by WhatsApp id. The upstream posts a message's first statuses a
 * few milliseconds after answering the send, often before the answer's id is stored: a status for an id in this map
 * waits for the store instead of being retried later through the queue. Statuses that reach another process, or
 * arrive before the answer itself, still take the queue.
 */
@Injectable()
export class AcceptanceTracker {
  private readonly pending = new Map<string, Promise<unknown>>();

  /** Runs `record` (which stores the upstream id); statuses for `upstreamId` wait for it meanwhile. */
  async track<T>(upstreamId: string, record: () => Promise<T>): Promise<T> {
    const promise = record();
    this.pending.set(upstreamId, promise);
    try {
      return await promise;
    } finally {
      this.pending.delete(upstreamId);
    }
  }

  /** Resolves once the answer with this id, if this process is recording one, is stored (or failed to be). */
  async settled(upstreamId: string): Promise<void> {
    await this.pending.get(upstreamId)?.catch(() => undefined);
  }
}
