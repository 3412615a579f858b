import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { TenantReadCache } from './tenant-read-cache';

@Global()
@Module({ providers: [PrismaService, TenantReadCache], exports: [PrismaService, TenantReadCache] })
export class PrismaModule {}
