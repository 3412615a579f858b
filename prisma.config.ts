import { PrismaPg } from '@prisma/adapter-pg';
import path from 'node:path';
import type { PrismaConfig } from 'prisma';

// The JS schema engine runs migrations over adapter-pg, so nothing native is downloaded (README, development notes).
export default {
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  adapter: () =>
    Promise.resolve(
      new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/nextmavens' }),
    ),
} satisfies PrismaConfig;
