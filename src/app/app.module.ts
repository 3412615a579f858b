import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@/config/config.module';
import { EnvSchema } from '@/config/env.schema';
import { ApiModule } from './api.module';
import { CoreModule } from './core.module';
import { WorkerModule } from './worker.module';

@Module({})
export class AppModule {
  /** APP_ROLE picks the surfaces: `api` serves the HTTP API, `worker` runs the queues, `all` does both. */
  static forRoot(env: EnvSchema): DynamicModule {
    const role = env.APP_ROLE;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        CoreModule,
        ...(role === 'worker' ? [] : [ApiModule]),
        ...(role === 'api' ? [] : [WorkerModule]),
      ],
    };
  }
}
