import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { startTestApp, TestApp } from '../setup/test-app';

interface Operation {
  method: string;
  path: string;
  security: Record<string, unknown>[];
  bodyFields: string[];
  queryFields: string[];
  hasBody: boolean;
}

/** A small deterministic generator (mulberry32), so a failing input is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values no field of this API takes as they are: wrong types, nulls, extremes, and text no column can store. */
const BAD_VALUES: unknown[] = [
  null,
  true,
  -1,
  1e30,
  // An integer past 2^64, as a client would send it; the literal rounds, which is the point.
  // eslint-disable-next-line no-loss-of-precision
  99999999999999999999,
  '',
  'x'.repeat(5000),
  'a\u0000b',
  '\uD800',
  '%E0%A4%A',
  {},
  [],
  [null],
  { $gt: '' },
  '../../etc/passwd',
];

const BAD_PATH_SEGMENTS = ['%00', '%E0%A4%A', 'x'.repeat(300), '..%2F..', '99999999999999999999', '-1', '%F0%9F%98'];

const BAD_QUERY_VALUES = ['%00', '-1', '99999999999999999999', '1e309', 'abc', '%E0%A4%A', 'x'.repeat(3000), ''];

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/**
 * Every operation of the OpenAPI document, authenticated as it expects so the input reaches validation, with about
 * 40 malformed inputs each (bodies, fields, query values, path segments): none may answer 5xx, and every 4xx must be
 * the one error shape.
 */
describe('fuzz of every documented route', () => {
  let t: TestApp;
  let http: AxiosInstance;
  let credentials: Record<string, Record<string, string>>;
  let instance: TestInstance;

  beforeAll(async () => {
    t = await startTestApp();
    http = httpClient(t.url);
    const admin = await adminToken(http);
    const client = await createClient(http, admin, {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
      rate_limit: 100000,
    });
    const jwt = await resellerToken(http, client);
    instance = await createInstance(http, jwt);
    t.sim.scan(instance.name);
    credentials = {
      apikey: { apikey: client.apiKey },
      'reseller-jwt': { authorization: `Bearer ${jwt}` },
      'admin-jwt': { authorization: `Bearer ${admin}` },
    };
  });
  afterAll(() => t.close());

  async function operations(): Promise<Operation[]> {
    const docs = (await http.get('/docs-json')).data as {
      paths: Record<
        string,
        Record<
          string,
          {
            security?: Record<string, unknown>[];
            parameters?: { in: string; name: string }[];
            requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
          }
        >
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const ops: Operation[] = [];
    for (const [path, methods] of Object.entries(docs.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
        const schema = ref ? docs.components.schemas[ref.split('/').pop()!] : undefined;
        ops.push({
          method: method.toUpperCase(),
          path,
          security: op.security ?? [],
          hasBody: op.requestBody !== undefined,
          bodyFields: Object.keys(schema?.properties ?? {}),
          queryFields: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        });
      }
    }
    return ops;
  }

  /** Fills path parameters with the test tenant's own values, so a request is about its input, not a 404. */
  function concrete(path: string): string {
    return path.replace(/\{(\w+)\}/g, (_, name: string) =>
      /name/i.test(name) ? instance.name : /^id$|Id$/.test(name) ? instance.id : '1',
    );
  }

  function inputsFor(
    op: Operation,
    random: () => number,
  ): { path: string; query?: string; body?: unknown; raw?: string }[] {
    const base = concrete(op.path);
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    const inputs: { path: string; query?: string; body?: unknown; raw?: string }[] = [];
    if (op.hasBody || op.method !== 'GET') {
      inputs.push({ path: base, raw: JSON.stringify(nested(3000)) });
      inputs.push(
        { path: base, body: [] },
        { path: base, body: 'text' },
        { path: base, raw: '{"a":' },
        { path: base, raw: 'null' },
      );
      for (const field of op.bodyFields) {
        for (let i = 0; i < 3; i++) inputs.push({ path: base, body: { [field]: pick(BAD_VALUES) } });
        inputs.push({ path: base, body: { [field]: null } });
      }
      for (let i = 0; i < 6; i++)
        inputs.push({ path: base, body: Object.fromEntries(op.bodyFields.map((f) => [f, pick(BAD_VALUES)])) });
    }
    for (const field of op.queryFields) {
      for (let i = 0; i < 2; i++) inputs.push({ path: base, query: `${field}=${pick(BAD_QUERY_VALUES)}` });
    }
    if (op.path.includes('{')) {
      for (const segment of BAD_PATH_SEGMENTS)
        inputs.push({ path: op.path.replace(/\{\w+\}/, segment).replace(/\{(\w+)\}/g, '1') });
    }
    while (inputs.length < 40)
      inputs.push({
        path: base,
        query: `${pick(op.queryFields.length ? op.queryFields : ['x'])}=${pick(BAD_QUERY_VALUES)}`,
        body: op.method === 'GET' ? undefined : { extra: pick(BAD_VALUES) },
      });
    return inputs;
  }

  it('answers every malformed input with a 4xx in the one error shape, never a 5xx', async () => {
    const random = seeded(20261130);
    const failures: string[] = [];
    let sent = 0;
    for (const op of await operations()) {
      if (op.path.startsWith('/health') || op.path === '/metrics') continue;
      const scheme = Object.keys(op.security[0] ?? {})[0];
      const headers = scheme ? (credentials[scheme] ?? {}) : {};
      for (const input of inputsFor(op, random)) {
        const url = `${input.path}${input.query ? `?${input.query}` : ''}`;
        const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
        const res = await http.request({
          method: op.method,
          url,
          headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
          data: hasBody ? (input.raw ?? JSON.stringify(input.body ?? {})) : undefined,
          transformRequest: [(data: unknown) => data],
        });
        sent += 1;
        const shaped =
          res.status < 400 ||
          (typeof res.data === 'object' && res.data?.statusCode === res.status && typeof res.data.message === 'string');
        if (res.status >= 500 || !shaped)
          failures.push(
            `${op.method} ${url.slice(0, 120)} ${String(input.raw ?? JSON.stringify(input.body)).slice(0, 80)} → ${res.status} ${JSON.stringify(res.data).slice(0, 160)}`,
          );
      }
    }
    expect(sent).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  }, 300000);
});
