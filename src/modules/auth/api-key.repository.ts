import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { ApiKey, Client } from '@/generated/prisma/client';

export type ApiKeyWithClient = ApiKey & { client: Client };

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The key row for a hash, with its client; the caller decides whether it is usable. */
  findByHash(keyHash: string): Promise<ApiKeyWithClient | null> {
    return this.prisma.apiKey.findUnique({ where: { keyHash }, include: { client: true } });
  }

  findByIdWithClient(id: number): Promise<ApiKeyWithClient | null> {
    return this.prisma.apiKey.findUnique({ where: { id }, include: { client: true } });
  }

  /** A client that is not deleted, for the operator's master key acting on its behalf. */
  findLiveClientForSystem(id: number): Promise<Client | null> {
    return this.prisma.client.findFirst({ where: { id, deletedAt: null } });
  }
}
