import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/database/prisma.service';
import { AdminUser } from '@/generated/prisma/client';

@Injectable()
export class AdminUserRepository {
  constructor(private readonly prisma: PrismaService) {}

  findByUsername(username: string): Promise<AdminUser | null> {
    return this.prisma.adminUser.findUnique({ where: { username } });
  }

  findById(id: number): Promise<AdminUser | null> {
    return this.prisma.adminUser.findUnique({ where: { id } });
  }

  /** Creates the admin unless one with that name exists; safe when several replicas boot at once. */
  async createIfMissing(username: string, passwordHash: string): Promise<boolean> {
    const { count } = await this.prisma.adminUser.createMany({
      data: [{ username, passwordHash }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  async markLogin(id: number): Promise<void> {
    await this.prisma.adminUser.update({ where: { id }, data: { lastLoginAt: new Date() } });
  }
}
