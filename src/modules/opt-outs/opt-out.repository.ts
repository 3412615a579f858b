import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { rowMapper } from '@/database/row-mapping';
import { OptOut, OptOutSource } from '@/generated/prisma/client';

const optOutRow = rowMapper<OptOut>('opt_outs', {
  id: 'bigint',
  clientId: 'number',
  number: 'string',
  source: 'string',
  keyword: 'string?',
  createdAt: 'date',
});

/**
 * Each client's suppression list. Every method takes the client first and puts it in the `where`; numbers arrive
 * normalised (the services normalise them as sends do). The send path's reads are hand-written SQL on the
 * `(client_id, number)` unique index, as the other hot paths are (PrismaService.rows).
 */
@Injectable()
export class OptOutRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Whether the number is on the client's list: one unique-index probe. */
  async hasForClient(clientId: number, number: string): Promise<boolean> {
    const rows = await this.prisma.rows('SELECT 1 FROM opt_outs WHERE client_id = $1 AND number = $2', [
      clientId,
      number,
    ]);
    return rows.length > 0;
  }

  /** The client's whole list when it has at most `limit` numbers, else null (for the send path's in-process copy). */
  async allNumbersForClient(clientId: number, limit: number): Promise<string[] | null> {
    const rows = await this.prisma.rows<{ number: string }>(
      'SELECT number FROM opt_outs WHERE client_id = $1 LIMIT $2',
      [clientId, limit + 1],
    );
    return rows.length > limit ? null : rows.map((r) => r.number);
  }

  /** Adds the numbers not on the list yet; returns the ones it added. */
  async addManyForClient(
    clientId: number,
    numbers: string[],
    source: OptOutSource,
    keyword: string | null = null,
  ): Promise<string[]> {
    const rows = await this.prisma.rows<{ number: string }>(
      `INSERT INTO opt_outs (client_id, number, source, keyword)
       SELECT $1, n, $3::"OptOutSource", $4 FROM unnest($2::text[]) AS n
       ON CONFLICT (client_id, number) DO NOTHING RETURNING number`,
      [clientId, numbers, source, keyword],
    );
    return rows.map((r) => r.number);
  }

  /** Takes the number off the list; false when it was not on it. */
  async removeForClient(clientId: number, number: string): Promise<boolean> {
    const rows = await this.prisma.rows('DELETE FROM opt_outs WHERE client_id = $1 AND number = $2 RETURNING id', [
      clientId,
      number,
    ]);
    return rows.length > 0;
  }

  /** A page of the list, newest first, after the row `beforeId` when given (keyset cursor). */
  async listForClient(
    clientId: number,
    filter: { number?: string },
    page: { limit: number; beforeId?: bigint },
  ): Promise<OptOut[]> {
    const values: unknown[] = [clientId, page.limit];
    const conditions = ['client_id = $1'];
    if (filter.number !== undefined) conditions.push(`number = $${values.push(filter.number)}`);
    if (page.beforeId !== undefined) conditions.push(`id < $${values.push(page.beforeId)}`);
    const rows = await this.prisma.rows<Record<string, unknown>>(
      `SELECT * FROM opt_outs WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT $2`,
      values,
    );
    return rows.map(optOutRow);
  }

  async countForClient(clientId: number, filter: { number?: string }): Promise<number> {
    const values: unknown[] = [clientId];
    const byNumber = filter.number === undefined ? '' : ` AND number = $${values.push(filter.number)}`;
    const [row] = await this.prisma.rows<{ total: bigint }>(
      `SELECT count(*) AS total FROM opt_outs WHERE client_id = $1${byNumber}`,
      values,
    );
    return Number(row?.total ?? 0);
  }
}
