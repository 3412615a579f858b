import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';

/** Readiness's view of Postgres: one trivial statement on the pool the hot paths use. */
@Injectable()
export class HealthRepository {
  constructor(private readonly prisma: PrismaService) {}

  async ping(): Promise<void> {
    await this.prisma.rows('SELECT 1');
  }
}
