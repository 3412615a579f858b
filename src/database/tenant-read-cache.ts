import { Injectable } from '@nestjs/common';

/**
 * How long a cached key or instance may be served without reading Postgres again. Another process's change (a key
 * revoked or rotated, a client deactivated or its limits changed, an instance deleted) reaches this process within it.
 */
export const TENANT_CACHE_TTL_MS = 1000;

/**
 * Short-lived in-process copies of what every request reads (API keys with their client's state and limits, instances
 * by name), so a send does not pay a database round trip for each. A write in this process through the repositories
 * forgets everything at once; writes elsewhere are picked up within TENANT_CACHE_TTL_MS. Misses are not cached, so a
 * new key or instance is usable at once.
 */
@Injectable()
export class TenantReadCache {
  private readonly entries = new Map<string, { value: unknown; until: number }>();

  async read<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value as T;
    const generation = this.generation;
    const value = await load();
    // A write that happened while loading may have made the value stale: serve it, but do not keep it.
    if (value !== null && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, { value, until: now + TENANT_CACHE_TTL_MS });
    }
    return value;
  }

  /** Wraps every repository write that can change what is cached: everything is forgotten once it is done. */
  async written<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.generation += 1;
      this.entries.clear();
    }
  }

  private generation = 0;
}

/** A bound on memory for a process that sees a great many keys within one TTL. */
const MAX_ENTRIES = 100000;
