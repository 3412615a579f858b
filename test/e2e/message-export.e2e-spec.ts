import { AxiosInstance } from 'axios';
import { parse } from 'csv-parse/sync';
import http from 'node:http';
import { Readable } from 'node:stream';
import { AuthService } from '@/modules/auth/auth.service';
import { ExportQueryDto } from '@/modules/messages/dto/export-query.dto';
import { MessageRepository } from '@/modules/messages/message.repository';
import { EXPORT_PAGE_ROWS, MessageExportService } from '@/modules/messages/message-export.service';
import { adminToken, createClient, httpClient, TestClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { queryDb, startTestApp, TestApp } from '../setup/test-app';
import { waitFor } from '../setup/wait-for';

const EXPORT = '/api/v1/whatsapp/messages/export';

const HEADER =
  'id,instance,number,message_type,status,message_id,bulk_id,source,error,created_at,sent_at,delivered_at,read_at,failed_at';

/** Cells a spreadsheet would run as formulas, and what the export writes for them. */
const FORMULAS: [string, string][] = [
  ['=HYPERLINK("http://evil.example","x")', `'=HYPERLINK("http://evil.example","x")`],
  ['+254 calls', `'+254 calls`],
  ['-1+1', `'-1+1`],
  ['@SUM(A1:A2)', `'@SUM(A1:A2)`],
  ['\tindented', `'\tindented`],
  ['\rreturn', `'\rreturn`],
];
/** Cells that need RFC 4180 quoting, exported as they are. */
const QUOTED = ['comma, inside', 'a "quoted" word', 'two\nlines', 'crlf\r\nline', 'plain'];

describe('GET /api/v1/whatsapp/messages/export', () => {
  let t: TestApp;
  let api: AxiosInstance;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = httpClient(t.url);
    admin = await adminToken(api);
  });
  afterAll(() => t.close());

  interface Tenant {
    client: TestClient;
    instance: TestInstance;
    key: { headers: { apikey: string } };
  }

  async function tenant(): Promise<Tenant> {
    const client = await createClient(api, admin);
    const instance = await createInstance(api, await resellerToken(api, client));
    return { client, instance, key: { headers: { apikey: client.apiKey } } };
  }

  /** `count` log rows in one statement, one second apart and newest first by id, with the given fields. */
  async function insertMessages(
    owner: Tenant,
    count: number,
    row: { number: string; status?: string; error?: string | null; at?: string },
  ): Promise<void> {
    await queryDb(
      t,
      `INSERT INTO messages (client_id, instance_id, source, number, message_type, status, error, created_at, updated_at)
       SELECT $1, $2::uuid, 'api', $3, 'text', $4::"MessageStatus", $5, $6::timestamp + g * interval '1 second', now()
       FROM generate_series(1, $7) g`,
      [
        owner.client.id,
        owner.instance.id,
        row.number,
        row.status ?? 'sent',
        row.error ?? null,
        row.at ?? '2026-11-01T00:00:00Z',
        count,
      ],
    );
  }

  const csvRows = (text: string) => parse<Record<string, string>>(text, { columns: true });
  const ndjsonRows = (text: string) =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('streams the log as CSV: a header of the JSON field names, RFC 4180 quoting, formulas defused', async () => {
    const owner = await tenant();
    for (const [i, error] of [...FORMULAS.map(([cell]) => cell), ...QUOTED].entries())
      await insertMessages(owner, 1, { number: `2547123400${String(i).padStart(2, '0')}`, status: 'failed', error });

    const res = await api.get(EXPORT, { ...owner.key, responseType: 'text' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="messages-${new Date().toISOString().slice(0, 10)}.csv"`,
    );
    const text = res.data as string;
    const json = (await api.get('/api/v1/whatsapp/messages?limit=200', owner.key)).data.messages;
    expect(text.split('\r\n')[0]).toBe(HEADER);
    expect(HEADER).toBe(Object.keys(json[0]).join(','));

    const rows = csvRows(text);
    expect(rows.map((r) => r.id)).toEqual(json.map((m: { id: string }) => m.id));
    const errors = new Map(rows.map((r) => [r.number, r.error]));
    for (const [i, [cell, exported]] of FORMULAS.entries())
      expect([cell, errors.get(`2547123400${String(i).padStart(2, '0')}`)]).toEqual([cell, exported]);
    for (const [i, cell] of QUOTED.entries())
      expect(errors.get(`2547123400${String(FORMULAS.length + i).padStart(2, '0')}`)).toBe(cell);
    // Empty where the JSON has null.
    expect(rows[0]).toMatchObject({ bulk_id: '', message_id: '', instance: owner.instance.name });
  });

  it('takes the filters of GET /messages and answers the same rows, as NDJSON objects equal to its JSON', async () => {
    const owner = await tenant();
    await insertMessages(owner, 3, { number: '254712340101', status: 'sent', at: '2026-11-02T00:00:00Z' });
    await insertMessages(owner, 2, {
      number: '254712340102',
      status: 'failed',
      error: 'x',
      at: '2026-11-03T00:00:00Z',
    });
    await insertMessages(owner, 4, { number: '254712340101', status: 'read', at: '2026-11-04T00:00:00Z' });
    for (const query of [
      '',
      'status=failed',
      'number=0712340101',
      `instance=${owner.instance.name}&status=read`,
      'from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:02Z',
      'instance=not-mine',
    ]) {
      const json = (await api.get(`/api/v1/whatsapp/messages?limit=200&${query}`, owner.key)).data.messages;
      const res = await api.get(`${EXPORT}?format=ndjson&${query}`, { ...owner.key, responseType: 'text' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="messages-\d{4}-\d{2}-\d{2}\.ndjson"$/);
      expect([query, ndjsonRows(res.data as string)]).toEqual([query, json]);
    }
    const csv = await api.get(`${EXPORT}?format=csv&status=read`, { ...owner.key, responseType: 'text' });
    expect(csvRows(csv.data as string).map((r) => r.status)).toEqual(['read', 'read', 'read', 'read']);
  });

  it('exports only the caller’s messages: another client’s, and other instances for an instance key, never show', async () => {
    const a = await tenant();
    const b = await tenant();
    const second = await createInstance(api, await resellerToken(api, a.client));
    await insertMessages(a, 2, { number: '254712340201' });
    await insertMessages({ ...a, instance: second }, 3, { number: '254712340202' });
    await insertMessages(b, 5, { number: '254712340203' });

    const numbers = async (key: { headers: { apikey: string } }, query = '') =>
      ndjsonRows((await api.get(`${EXPORT}?format=ndjson${query}`, { ...key, responseType: 'text' })).data).map(
        (m) => m.number,
      );
    expect((await numbers(a.key)).sort()).toEqual([...Array(2).fill('254712340201'), ...Array(3).fill('254712340202')]);
    expect(await numbers(b.key)).toEqual(Array(5).fill('254712340203'));
    expect(await numbers(b.key, `&instance=${a.instance.name}`)).toEqual([]);
    expect(await numbers({ headers: { apikey: second.apiKey } })).toEqual(Array(3).fill('254712340202'));
    // An empty CSV export still has its header row.
    const empty = await api.get(`${EXPORT}?instance=${a.instance.name}`, { ...b.key, responseType: 'text' });
    expect(empty.data).toBe(`${HEADER}\r\n`);
  });

  it('answers errors before the first byte with the usual error shape', async () => {
    const owner = await tenant();
    const xml = await api.get(`${EXPORT}?format=xml`, owner.key);
    expect(xml.status).toBe(400);
    expect(xml.data).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/^format: must be one of csv, ndjson/),
    });
    const paged = await api.get(`${EXPORT}?limit=10`, owner.key);
    expect(paged.status).toBe(400);
    expect(paged.data.message).toMatch(/limit/);
    const number = await api.get(`${EXPORT}?number=12`, owner.key);
    expect(number.status).toBe(400);
    expect(number.data.message).toMatch(/^number: /);
    expect((await api.get(EXPORT)).status).toBe(401);
  });

  describe('a large export', () => {
    const ROWS = 20_000;
    /** Long enough that the export (about 12 MB) cannot sit whole in the loopback's socket buffers. */
    const LONG_ERROR = 'e'.repeat(500);
    let owner: Tenant;

    beforeAll(async () => {
      owner = await tenant();
      await insertMessages(owner, ROWS, { number: '254712340301', status: 'failed', error: LONG_ERROR });
    });

    /** Log pages the repository read for this client since the spy was set. */
    function pageReads(spy: jest.SpyInstance): number {
      return spy.mock.calls.filter(([clientId]) => clientId === owner.client.id).length;
    }

    it('streams every row, newest first, each once', async () => {
      const res = await api.get(EXPORT, { ...owner.key, responseType: 'text', timeout: 60000 });
      expect(res.status).toBe(200);
      const ids = csvRows(res.data as string).map((r) => BigInt(r.id!));
      expect(ids).toHaveLength(ROWS);
      expect(ids.every((id, i) => i === 0 || id < ids[i - 1]!)).toBe(true);
    }, 60000);

    it('reads a page only when the reader has taken the previous one, and stops reading when destroyed', async () => {
      const reads = jest.spyOn(t.app.get(MessageRepository), 'exportPageForClient');
      try {
        const auth = await t.app.get(AuthService).actAsClient(owner.client.id);
        const query = Object.assign(new ExportQueryDto(), { format: 'ndjson' });
        const { stream } = await t.app.get(MessageExportService).export(auth, query);
        expect(pageReads(reads)).toBe(1);
        const full = () => stream.readableLength >= stream.readableHighWaterMark;
        stream.read(0);
        await waitFor(full, 5000, 'the stream’s buffer to fill');
        // One page fills the buffer: nothing more is read until the reader takes it.
        expect(pageReads(reads)).toBe(1);
        stream.read();
        await waitFor(full, 5000, 'the buffer to fill again');
        expect(pageReads(reads)).toBe(2);
        stream.destroy();
        await waitFor(() => stream.closed, 5000, 'the stream to close');
        expect(pageReads(reads)).toBe(2);
      } finally {
        reads.mockRestore();
      }
    });

    it('cuts the connection when a page cannot be read after the download started, so it never looks complete', async () => {
      const repository = t.app.get(MessageRepository);
      const readPage = repository.exportPageForClient.bind(repository);
      const reads = jest
        .spyOn(repository, 'exportPageForClient')
        .mockImplementationOnce(readPage)
        .mockRejectedValueOnce(new Error('the database went away'));
      try {
        const outcome = await new Promise<{ ended: 'complete' | 'cut'; status: number }>((resolve) => {
          let status = 0;
          const req = http.get(`${t.url}${EXPORT}`, owner.key, (res) => {
            status = res.statusCode ?? 0;
            res.on('data', () => undefined);
            res.on('end', () => resolve({ ended: 'complete', status }));
            res.on('error', () => resolve({ ended: 'cut', status }));
          });
          req.on('error', () => resolve({ ended: 'cut', status }));
        });
        expect(outcome).toEqual({ ended: 'cut', status: 200 });
        expect(reads).toHaveBeenCalledTimes(2);
      } finally {
        reads.mockRestore();
      }
    });

    it('stops reading when the client goes away mid-download', async () => {
      const exporter = t.app.get(MessageExportService);
      const exports = jest.spyOn(exporter, 'export');
      const reads = jest.spyOn(t.app.get(MessageRepository), 'exportPageForClient');
      try {
        await new Promise<void>((resolve, reject) => {
          const req = http.get(`${t.url}${EXPORT}`, owner.key, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        });
        const served = (await exports.mock.results[0]!.value) as { stream: Readable };
        await waitFor(() => served.stream.destroyed && served.stream.closed, 10000, 'the server to drop the export');
        expect(pageReads(reads)).toBeLessThan(ROWS / EXPORT_PAGE_ROWS);
      } finally {
        exports.mockRestore();
        reads.mockRestore();
      }
    });
  });
});
