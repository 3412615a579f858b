import { AxiosInstance } from 'axios';
import { adminToken, createClient, TestClient } from '../factories/client.factory';
import { resellerToken, uniqueInstanceName } from '../factories/instance.factory';
import { OpenApiConformance } from '../setup/openapi-conformance';
import { startTcpProxy } from '../setup/tcp-proxy';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { TEST_GLOBAL_KEY } from '../setup/test-env';
import { addUpstream, ExtraUpstream } from '../setup/upstream-pool';

const UPSTREAMS = '/api/admin/upstreams';
const SUB_INSTANCES = '/api/v1/whatsapp/reseller/sub-instances';

/** The operator's pool: managing upstreams, and where new instances go. Every answer is checked against the document. */
describe('upstream pool: management and placement', () => {
  let t: TestApp;
  let http: AxiosInstance;
  const problems: string[] = [];
  let admin: { headers: { authorization: string } };
  let client: TestClient;
  let jwt: string;
  let second: ExtraUpstream;
  let first: number;

  const createOn = async () => {
    const name = uniqueInstanceName('pool');
    const res = await http.post(SUB_INSTANCES, { instanceName: name }, { headers: { authorization: `Bearer ${jwt}` } });
    return { res, name };
  };
  const upstreamOf = async (name: string) =>
    (await queryDb(t, 'SELECT upstream_id FROM instances WHERE name = $1 AND deleted_at IS NULL', [name]))[0]
      ?.upstream_id;

  beforeAll(async () => {
    t = await startTestApp();
    http = (await OpenApiConformance.load(t.url)).client(t.url, problems);
    admin = { headers: { authorization: `Bearer ${await adminToken(http)}` } };
    client = await createClient(http, admin.headers.authorization.slice(7), { max_instances: 100 });
    jwt = await resellerToken(http, client);
    second = await addUpstream(http, admin.headers.authorization.slice(7), { name: 'second', capacity: 2 });
    first = (await http.get(UPSTREAMS, admin)).data.upstreams[0].id;
  });
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
    await second?.close();
  });

  it('starts with the first upstream made from EVOLUTION_API_URL, and lists each with its load and state', async () => {
    const res = await http.get(UPSTREAMS, admin);
    expect(res.status).toBe(200);
    expect(res.data.upstreams).toEqual([
      expect.objectContaining({ id: first, name: 'default', url: t.sim.url, state: 'up', draining: false }),
      expect.objectContaining({ id: second.id, name: 'second', url: second.url, capacity: 2, instances: 0, free: 2 }),
    ]);
    // The key is never shown, and is stored encrypted.
    expect(JSON.stringify(res.data)).not.toContain(TEST_GLOBAL_KEY);
    const rows = await queryDb(t, 'SELECT api_key_encrypted FROM upstreams ORDER BY id');
    expect(rows.map((r) => String(r.api_key_encrypted))).toEqual([
      expect.stringMatching(/^v1\./),
      expect.stringMatching(/^v1\./),
    ]);
    expect(rows.some((r) => String(r.api_key_encrypted).includes('global-key'))).toBe(false);
    expect((await http.get(`${UPSTREAMS}/${second.id}`, admin)).data).toMatchObject({ name: 'second', state: 'up' });
  });

  it('refuses a server that does not answer, or rejects its key, naming the field; and bad or taken fields', async () => {
    const closed = await startTcpProxy('127.0.0.1', 1);
    const deadUrl = `http://127.0.0.1:${closed.port}`;
    await closed.close();
    const unreachable = await http.post(UPSTREAMS, { name: 'dead', url: deadUrl, api_key: 'k', capacity: 1 }, admin);
    expect(unreachable.status).toBe(422);
    expect(unreachable.data).toMatchObject({
      code: 'UPSTREAM_NOT_ANSWERING',
      message: expect.stringMatching(/^url: /),
    });

    const wrongKey = await http.post(UPSTREAMS, { name: 'wk', url: second.url, api_key: 'wrong', capacity: 1 }, admin);
    expect(wrongKey.status).toBe(422);
    expect(wrongKey.data).toMatchObject({
      code: 'UPSTREAM_KEY_REJECTED',
      message: expect.stringMatching(/^api_key: /),
    });

    // A change of URL or key is checked as a new server is, and leaves the upstream as it was when refused.
    const patchedKey = await http.patch(`${UPSTREAMS}/${second.id}`, { api_key: 'wrong' }, admin);
    expect(patchedKey.data).toMatchObject({ statusCode: 422, code: 'UPSTREAM_KEY_REJECTED' });
    const patchedUrl = await http.patch(`${UPSTREAMS}/${second.id}`, { url: deadUrl }, admin);
    expect(patchedUrl.data).toMatchObject({ statusCode: 422, code: 'UPSTREAM_NOT_ANSWERING' });
    expect((await http.patch(`${UPSTREAMS}/${second.id}`, { capacity: -1 }, admin)).status).toBe(400);
    expect((await http.get(`${UPSTREAMS}/${second.id}`, admin)).data).toMatchObject({ url: second.url, capacity: 2 });

    const invalid = await http.post(UPSTREAMS, { name: 'bad name!', url: 'ftp://x', capacity: -1 }, admin);
    expect(invalid.status).toBe(400);
    for (const field of ['name', 'url', 'api_key', 'capacity']) expect(invalid.data.message).toContain(field);
    const withUser = await http.post(
      UPSTREAMS,
      { name: 'u', url: 'http://a:b@evo:8080', api_key: 'k', capacity: 1 },
      admin,
    );
    expect(withUser.status).toBe(400);

    const taken = await http.post(
      UPSTREAMS,
      { name: 'second', url: t.sim.url, api_key: TEST_GLOBAL_KEY, capacity: 1 },
      admin,
    );
    expect(taken.status).toBe(409);
    expect(taken.data.code).toBe('UPSTREAM_EXISTS');
    expect((await http.get(`${UPSTREAMS}/99999`, admin)).status).toBe(404);
    expect((await http.get(UPSTREAMS, { headers: { apikey: client.apiKey } })).status).toBe(401);
  });

  it('places each new instance on the upstream with the most free places, then none when every one is full', async () => {
    await http.patch(`${UPSTREAMS}/${first}`, { capacity: 1 }, admin);
    const placed: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { res, name } = await createOn();
      expect(res.status).toBe(201);
      placed.push((await upstreamOf(name)) as number);
      // The instance exists on its own server only, created with that server's key.
      const own = placed[i] === second.id ? second.sim : t.sim;
      const other = placed[i] === second.id ? t.sim : second.sim;
      expect(own.instance(name)).toBeDefined();
      expect(other.instance(name)).toBeUndefined();
    }
    // second has 2 free, default 1: second; then a tie goes to the older upstream; then second.
    expect(placed).toEqual([second.id, first, second.id]);

    const { res: full } = await createOn();
    expect(full.status).toBe(503);
    expect(full.data).toMatchObject({
      code: 'NO_UPSTREAM_CAPACITY',
      message: expect.stringMatching(/full, draining or down/),
    });
    expect(full.headers['retry-after']).toBe('30');
    // The operator sees where each instance lives, and can list one upstream's.
    const onSecond = (await http.get(`/api/admin/instances?upstream_id=${second.id}`, admin)).data;
    expect(onSecond.total).toBe(2);
    expect(onSecond.instances.map((i: { upstream_name: string }) => i.upstream_name)).toEqual(['second', 'second']);
    const listed = (await http.get(UPSTREAMS, admin)).data.upstreams;
    expect(listed.map((u: { instances: number; free: number }) => [u.instances, u.free])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('sends no new instance to a draining upstream, while its instances keep working', async () => {
    await http.patch(`${UPSTREAMS}/${first}`, { capacity: 10 }, admin);
    const drained = await http.patch(`${UPSTREAMS}/${second.id}`, { capacity: 10, draining: true }, admin);
    expect(drained.data).toMatchObject({ draining: true, capacity: 10, free: 8 });
    const { res, name } = await createOn();
    expect(res.status).toBe(201);
    expect(await upstreamOf(name)).toBe(first);

    const [onSecond] = await queryDb(t, 'SELECT name FROM instances WHERE upstream_id = $1 AND deleted_at IS NULL', [
      second.id,
    ]);
    const qr = await http.get(`/api/v1/whatsapp/qrcode/${String(onSecond!.name)}`, {
      headers: { apikey: client.apiKey },
    });
    expect(qr.status).toBe(200);
    expect(second.sim.requests().some((r) => r.path === `/instance/connect/${String(onSecond!.name)}`)).toBe(true);
    await http.patch(`${UPSTREAMS}/${second.id}`, { draining: false }, admin);
  });

  it('removes an upstream only once it holds no live instance', async () => {
    const inUse = await http.delete(`${UPSTREAMS}/${second.id}`, admin);
    expect(inUse.status).toBe(409);
    expect(inUse.data).toMatchObject({ code: 'UPSTREAM_IN_USE', message: expect.stringMatching(/new scan/) });

    const spare = await addUpstream(http, admin.headers.authorization.slice(7), { name: 'spare', capacity: 0 });
    try {
      expect((await http.delete(`${UPSTREAMS}/${spare.id}`, admin)).status).toBe(204);
      expect((await http.get(`${UPSTREAMS}/${spare.id}`, admin)).status).toBe(404);
    } finally {
      await spare.close();
    }
    const audit = await queryDb(t, "SELECT action FROM audit_events WHERE target_type = 'upstream' ORDER BY id");
    expect(audit.map((r) => r.action)).toEqual(
      expect.arrayContaining(['upstream.created', 'upstream.updated', 'upstream.deleted']),
    );
  });
});
