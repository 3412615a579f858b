import { Injectable } from '@nestjs/common';
import { AuditEntry, AuditQuery, AuditRepository } from './audit.repository';

export interface AuditEventResponse {
  id: string;
  actor_type: string;
  actor_id: string | null;
  client_id: number | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: unknown;
  created_at: string;
}

@Injectable()
export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  /** Records who did what to which client, key or instance. Never pass secrets in `details`. */
  record(entry: AuditEntry): Promise<void> {
    return this.repository.insert(entry);
  }

  async list(query: AuditQuery): Promise<{ events: AuditEventResponse[]; next_cursor: string | null }> {
    const rows = await this.repository.list(query);
    const events = rows.map((e) => ({
      id: e.id.toString(),
      actor_type: e.actorType,
      actor_id: e.actorId,
      client_id: e.clientId,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      details: e.details,
      created_at: e.createdAt.toISOString(),
    }));
    const last = events.at(-1);
    return { events, next_cursor: rows.length === query.limit && last ? last.id : null };
  }
}
