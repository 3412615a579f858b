import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { IdempotencyKey, Prisma } from '@/generated/prisma/client';

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Claims the key for this request; when it exists (and has not expired), returns the existing row instead. A key
   * still in progress since before `abandonedBefore` belonged to a request that cannot be running any more (its
   * process died): it is taken over.
   */
  async claimForClient(
    clientId: number,
    key: string,
    requestHash: string,
    expiresAt: Date,
    now: Date,
    abandonedBefore: Date,
  ): Promise<IdempotencyKey | 'claimed'> {
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO idempotency_keys (client_id, key, request_hash, expires_at, created_at)
      VALUES (${clientId}, ${key}, ${requestHash}, ${expiresAt}, ${now})
      ON CONFLICT (client_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, expires_at = EXCLUDED.expires_at,
        response_status = NULL, response_body = NULL, created_at = EXCLUDED.created_at
      WHERE idempotency_keys.expires_at <= ${now}
        OR (idempotency_keys.response_status IS NULL AND idempotency_keys.created_at <= ${abandonedBefore})`;
    if (inserted === 1) return 'claimed';
    const existing = await this.prisma.idempotencyKey.findUnique({ where: { clientId_key: { clientId, key } } });
    return existing ?? 'claimed';
  }

  async completeForClient(clientId: number, key: string, status: number, body: Prisma.InputJsonValue): Promise<void> {
    await this.prisma.idempotencyKey.updateMany({
      where: { clientId, key },
      data: { responseStatus: status, responseBody: body },
    });
  }

  async releaseForClient(clientId: number, key: string): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { clientId, key, responseStatus: null } });
  }
}
