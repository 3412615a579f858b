import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process's Prometheus registry and the gateway's own instruments. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'nm_http_request_duration_seconds',
    help: 'Gateway HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly upstreamRequestDuration = new Histogram({
    name: 'nm_upstream_request_duration_seconds',
    help: 'Evolution API call duration by upstream, operation and outcome',
    labelNames: ['upstream', 'operation', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly upstreamUp = new Gauge({
    name: 'nm_upstream_up',
    help: "1 while the upstream's circuit is closed in this process, 0 while it is open (calls refused)",
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });

  readonly upstreamInstances = new Gauge({
    name: 'nm_upstream_instances',
    help: 'Live instances the upstream holds',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });

  readonly upstreamCapacity = new Gauge({
    name: 'nm_upstream_capacity',
    help: 'Instances the upstream may hold',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });

  readonly jobsProcessed = new Counter({
    name: 'nm_jobs_processed_total',
    help: 'Background jobs finished, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nm_' });
  }
}
