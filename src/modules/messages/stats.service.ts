import { Injectable } from '@nestjs/common';
import { ClientAuth } from '@/modules/auth/auth-context';
import { StatsRepository } from './stats.repository';

export interface StatsResponse {
  messages_today: number;
  total_sent: number;
  total_attempts: number;
  success_rate: string;
  by_type: { message_type: string; count: number }[];
  daily_last_30: { date: string; count: number }[];
  rate_limit: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** Usage analytics with exactly the reference's keys, from rollups kept on every write and status change. */
@Injectable()
export class StatsService {
  constructor(private readonly usage: StatsRepository) {}

  async stats(auth: ClientAuth, now = new Date()): Promise<StatsResponse> {
    const today = new Date(now.toISOString().slice(0, 10));
    const since = new Date(today.getTime() - 29 * DAY_MS);
    const [totals, byType, daily] = await Promise.all([
      this.usage.totalsForClient(auth.clientId, auth.instanceId),
      this.usage.byTypeForClient(auth.clientId, auth.instanceId),
      this.usage.dailyForClient(auth.clientId, since, auth.instanceId),
    ]);
    // Every one of the 30 days is listed, zeros included, so charts need no gap filling.
    const days = Array.from({ length: 30 }, (_, i) =>
      new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10),
    );
    return {
      messages_today: daily.get(days[29]!) ?? 0,
      total_sent: totals.sent,
      total_attempts: totals.attempts,
      success_rate: successRate(totals.sent, totals.attempts),
      by_type: byType.map((t) => ({ message_type: t.messageType, count: t.count })),
      daily_last_30: days.map((date) => ({ date, count: daily.get(date) ?? 0 })),
      rate_limit: auth.limits.rateLimit,
    };
  }
}

/** "98.7%"; "0.0%" before the first attempt. */
export function successRate(sent: number, attempts: number): string {
  return `${attempts === 0 ? '0.0' : ((sent / attempts) * 100).toFixed(1)}%`;
}
