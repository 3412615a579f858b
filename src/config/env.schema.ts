import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';
import { isSupportedCountry } from 'libphonenumber-js';
import { SECRET_VARIABLES, weakSecretReason, withSecretsFile } from './secrets';

export const APP_ROLES = ['api', 'worker', 'all'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Most numbers one check-numbers request takes. NUMBER_CHECK_PER_MINUTE may not be lower: a request of that many
 * numbers none of which is cached must fit in one minute's lookups, or it could never be answered.
 */
export const MAX_NUMBERS_PER_CHECK = 500;

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

/**
 * Every environment variable the gateway reads, with its default. This file and `app-config.ts` are the only
 * places that know variable names; `.env.example` and `docker-compose.yml` list the same names (a test checks it).
 */
export class EnvSchema {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @IsOptional()
  @IsString()
  HOST: string = '0.0.0.0';

  @IsOptional()
  @IsIn(APP_ROLES, { message: `must be one of ${APP_ROLES.join(', ')}` })
  APP_ROLE: AppRole = 'all';

  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgresql:// connection URL' })
  DATABASE_URL!: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** Prefix of every Redis key this install writes (queues, limits), so installs can share a Redis. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9:_-]{1,32}$/, { message: 'must be 1-32 letters, digits, ":", "_" or "-"' })
  REDIS_KEY_PREFIX: string = 'nm';

  @Matches(/^https?:\/\/.+/, { message: 'must be an http(s) URL of the Evolution API server' })
  EVOLUTION_API_URL!: string;

  @IsString()
  @MinLength(1, { message: 'must be the upstream global API key' })
  EVOLUTION_API_KEY!: string;

  /** Per-call upstream timeout; a send's own `delay` is added to it, since the upstream answers after the delay. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300000)
  EVOLUTION_TIMEOUT_MS: number = 30000;

  /** How often each process probes every upstream of the pool (and reloads the pool from Postgres). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  UPSTREAM_PROBE_INTERVAL_MS: number = 5000;

  /** Failed probes or unreachable calls in a row that open an upstream's circuit: its calls then answer 503 at once. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  UPSTREAM_FAILURE_THRESHOLD: number = 3;

  @Matches(/^https?:\/\/[^/]+/, { message: 'must be the http(s) URL where the upstream reaches this gateway' })
  PUBLIC_URL!: string;

  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  JWT_SECRET!: string;

  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'must be 32 bytes written as 64 hex characters' })
  ENCRYPTION_KEY!: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._@-]{3,64}$/, { message: 'must be 3-64 letters, digits, ".", "_", "@" or "-"' })
  ADMIN_USERNAME: string = 'admin';

  @IsString()
  @MinLength(12, { message: 'must be at least 12 characters' })
  ADMIN_PASSWORD!: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters when set' })
  MASTER_API_KEY?: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code such as KE' })
  DEFAULT_COUNTRY: string = 'KE';

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /**
   * Which proxies may set X-Forwarded-For (the client address used for login throttling and logs): false (none,
   * the default), true (any: only behind a proxy that overwrites the header), a hop count, or a comma list of IPs/CIDRs.
   */
  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/, {
    message: 'must be true, false, a hop count, or a comma list of IPs or CIDRs',
  })
  TRUST_PROXY: string = 'false';

  /** A single send waits this long at most for its instance's next pacing slot; a later slot answers 429. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120000)
  SEND_MAX_WAIT_MS: number = 15000;

  /** How long a number check's answer is kept per client before WhatsApp is asked again. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(90)
  NUMBER_CHECK_CACHE_DAYS: number = 7;

  /**
   * Numbers an instance may look up on WhatsApp per minute (cached answers do not count): bulk lookups get numbers
   * banned. Never below the most one check-numbers request takes, so that waiting always lets a request through.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(MAX_NUMBERS_PER_CHECK, {
    message: `must be at least ${MAX_NUMBERS_PER_CHECK}, the most numbers one check-numbers request takes`,
  })
  @Max(100000)
  NUMBER_CHECK_PER_MINUTE: number = MAX_NUMBERS_PER_CHECK;

  /** Largest media file accepted in a send (decoded size); larger ones answer 413. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  MAX_MEDIA_BYTES: number = 16 * 1024 * 1024;

  /** Hosts, IPs or CIDRs that tenant webhook and media URLs may reach even though they are private (comma list). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.:/,_ -]*$/, { message: 'must be a comma list of hosts, IPs or CIDRs' })
  WEBHOOK_ALLOWED_HOSTS: string = '';

  /** Waits between webhook delivery attempts (ms, s, m or h); after the last one a delivery is dead. */
  @IsOptional()
  @Matches(/^\s*\d+(ms|s|m|h)\s*(,\s*\d+(ms|s|m|h)\s*)*$/, {
    message: 'must be a comma list of durations such as 5s,30s,2m,1h',
  })
  WEBHOOK_RETRY_SCHEDULE: string = '5s,30s,2m,10m,30m,1h,3h,6h,12h';

  /** A tenant endpoint must answer 2xx within this long (ms) for a delivery to count. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  WEBHOOK_TIMEOUT_MS: number = 10000;

  /**
   * Bulks one worker process drives at once. Each waits on its instance's pacing most of the time, and a bulk past
   * the limit waits for a whole running bulk to finish, so this should exceed the instances that run bulks at once.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  BULK_CONCURRENCY: number = 500;

  /**
   * How long a bulk driver's lease on its bulk lasts without renewal. A live driver renews it while it waits for a
   * slot or for the upstream; a dead worker's bulk is taken over by another worker once it runs out.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600000)
  BULK_LEASE_MS: number = 20000;

  /** `/ws` keep-alive: each socket is pinged this often (ms) and cut when it has not answered by the next ping. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600000)
  WS_PING_INTERVAL_MS: number = 30000;

  /**
   * A `/ws` socket whose unsent data passes this many bytes is dropped (close code 4408): a client that does not read
   * would otherwise make the process hold every event for it.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(256 * 1024 * 1024)
  WS_MAX_BUFFERED_BYTES: number = 1024 * 1024;

  /** Days a tenant webhook delivery (its payload: inbound messages, statuses) is kept once it is settled. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  PAYLOAD_RETENTION_DAYS: number = 30;

  /**
   * A file of generated secrets (`NAME=value` lines) that fills JWT_SECRET, ENCRYPTION_KEY, ADMIN_PASSWORD and
   * EVOLUTION_API_KEY when they are unset. The compose file's first-start step writes it; values set here win.
   */
  @IsOptional()
  @IsString()
  SECRETS_FILE?: string;

  /** The built dashboard served at /dashboard; unset means dist/dashboard, where `npm run build` puts it. */
  @IsOptional()
  @IsString()
  DASHBOARD_DIR?: string;

  /** How long SIGTERM waits for in-flight requests and jobs before the process exits anyway. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_TIMEOUT_MS: number = 25000;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const missing = e.value === undefined || e.value === '';
    // For a missing variable the type check only repeats "is required"; keep the reasons that say what to set.
    const reasons = Object.entries(e.constraints ?? {})
      .filter(([name]) => !(missing && name === 'isString'))
      .map(([, reason]) => reason);
    return `${e.property}: ${[...(missing ? ['is required'] : []), ...reasons].join('; ')}`;
  });
}

/** Validates the raw environment once; throws a ConfigError naming every bad variable and why. */
export function validateEnv(raw: Record<string, string | undefined>): EnvSchema {
  const fileProblems: string[] = [];
  let source = raw;
  try {
    source = withSecretsFile(raw);
  } catch (err) {
    fileProblems.push(
      `SECRETS_FILE: cannot read ${raw.SECRETS_FILE} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  // Empty strings count as unset, so `FOO=` in an env file falls back to the default.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(EnvSchema, present, { exposeDefaultValues: true });
  const problems = [...fileProblems, ...describe(validateSync(env, { whitelist: false }))];
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    const reason = value && !problems.some((p) => p.startsWith(`${name}:`)) ? weakSecretReason(value) : null;
    if (reason)
      problems.push(
        `${name}: ${reason}; set a random value (openssl rand -hex 32), or leave it unset under docker compose to have one generated`,
      );
  }
  if (!problems.some((p) => p.startsWith('DEFAULT_COUNTRY')) && !isSupportedCountry(env.DEFAULT_COUNTRY)) {
    problems.push(`DEFAULT_COUNTRY: ${env.DEFAULT_COUNTRY} is not a country libphonenumber-js knows`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}
