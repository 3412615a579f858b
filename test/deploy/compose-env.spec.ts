import { getMetadataStorage } from 'class-validator';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { EnvSchema } from '@/config/env.schema';
import { GENERATED_VARIABLES } from '@/config/secrets';

const ROOT = path.resolve(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}

function compose(): { services: Record<string, ComposeService> } {
  return parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
}

function envExample(): Record<string, string> {
  const lines = readFileSync(path.join(ROOT, '.env.example'), 'utf8').split('\n');
  return Object.fromEntries(
    lines
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]),
  );
}

function envExampleNames(): string[] {
  return Object.keys(envExample());
}

describe('deployment files', () => {
  it('.env.example lists exactly the variables the config schema reads', () => {
    const schemaNames = getMetadataStorage()
      .getTargetValidationMetadatas(EnvSchema, '', true, false)
      .map((m) => m.propertyName);
    expect(new Set(envExampleNames())).toEqual(new Set(schemaNames));
  });

  it.each(['gateway', 'worker'])('the %s service sets the same variables as .env.example', (name) => {
    const service = compose().services[name]!;
    expect(Object.keys(service.environment ?? {}).sort()).toEqual(envExampleNames().sort());
  });

  it('runs the API and the worker as separate roles of one image', () => {
    const { services } = compose();
    expect(services.gateway!.environment!.APP_ROLE).toBe('api');
    expect(services.worker!.environment!.APP_ROLE).toBe('worker');
    expect(services.gateway!.build).toBe('.');
    expect(services.worker!.build).toBe('.');
  });

  it('pins Postgres 16, Redis 7 with AOF and noeviction, and an Evolution API 2.3.x image without telemetry', () => {
    const { services } = compose();
    expect(services.postgres!.image).toMatch(/^postgres:16/);
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.redis!.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
    expect(services.evolution!.image).toMatch(/evolution-api:v2\.3\.\d+$/);
    expect(services.evolution!.environment).toMatchObject({ TELEMETRY_ENABLED: 'false', CORS_ORIGIN: '*' });
  });

  it('shares the upstream global key between the gateway and Evolution API', () => {
    const { services } = compose();
    expect(services.evolution!.environment!.AUTHENTICATION_API_KEY).toBe(
      services.gateway!.environment!.EVOLUTION_API_KEY,
    );
  });

  it('waits for healthy dependencies and gives every stateful service a healthcheck', () => {
    const { services } = compose();
    for (const name of ['gateway', 'worker', 'postgres', 'redis']) expect(services[name]!.healthcheck).toBeDefined();
    expect(services.gateway!.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('publishes no secret: compose and .env.example leave every one empty, and the first start generates them', () => {
    const { services } = compose();
    for (const name of GENERATED_VARIABLES) {
      expect(services.gateway!.environment![name]).toBe(`\${${name}:-}`);
      expect(envExample()[name]).toBe('');
    }
    expect(services.evolution!.environment!.AUTHENTICATION_API_KEY).toBe('${EVOLUTION_API_KEY:-}');
    const first = services['first-start']!;
    expect(first.command).toEqual(['first-start']);
    expect(first.environment!.SECRETS_FILE).toBe(services.gateway!.environment!.SECRETS_FILE);
    for (const name of ['gateway', 'worker', 'evolution']) {
      expect(services[name]!.depends_on).toMatchObject({
        'first-start': { condition: 'service_completed_successfully' },
      });
    }
    expect(services.gateway!.volumes).toContain('secrets:/secrets:ro');
    expect(services.worker!.volumes).toContain('secrets:/secrets:ro');
  });

  it('starts Evolution API with its image’s own command, after taking the generated key when .env sets none', () => {
    const { services } = compose();
    const script = services.evolution!.entrypoint!.at(-1)!;
    expect(script).toContain('AUTHENTICATION_API_KEY:-$$(cat /evolution-key/api-key)');
    // The evoapicloud/evolution-api image's ENTRYPOINT (Dockerfile of 2.3.6).
    expect(script).toMatch(/&& \. \.\/Docker\/scripts\/deploy_database\.sh && npm run start:prod$/);
    expect(services.evolution!.volumes).toContain('evolution-key:/evolution-key:ro');
    expect(services['first-start']!.environment!.EVOLUTION_KEY_FILE).toBe('/evolution-key/api-key');
  });
});
