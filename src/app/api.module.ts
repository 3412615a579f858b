import { Module } from '@nestjs/common';

/** Feature modules with HTTP controllers. Processors are never listed here, so an `api` process never consumes jobs. */
@Module({ imports: [] })
export class ApiModule {}
