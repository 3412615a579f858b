import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { GlobalExceptionFilter } from '@/common/errors/global-exception.filter';
import { loggerParams, wantsPrettyLogs } from '@/common/logging/logger.options';
import { RedisModule } from '@/common/redis/redis.module';
import { AppConfig } from '@/config/app-config';
import { PrismaModule } from '@/database/prisma.module';
import { HealthModule } from '@/modules/health/health.module';
import { MetricsModule } from '@/modules/metrics/metrics.module';
import { QueueModule } from '@/queue/queue.module';

/** Infrastructure every role needs, and the operations surface (/health, /metrics) that every role serves. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        loggerParams(config.get('LOG_LEVEL'), wantsPrettyLogs(process.stdout.isTTY === true)),
    }),
    PrismaModule,
    RedisModule,
    MetricsModule,
    QueueModule,
    HealthModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: GlobalExceptionFilter }],
})
export class CoreModule {}
