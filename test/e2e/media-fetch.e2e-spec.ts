import { AxiosInstance } from 'axios';
import { adminToken, createClient, httpClient } from '../factories/client.factory';
import { createInstance, resellerToken, TestInstance } from '../factories/instance.factory';
import { MEDIA_BYTES, MediaServer, PAGE_BYTES, startMediaServer } from '../setup/media-server';
import { startTestApp, TestApp } from '../setup/test-app';

/**
 * Media named by URL is fetched by the gateway through the outbound guard and handed to the upstream as base64: the
 * upstream never fetches a tenant's URL from inside the deployment.
 */
describe('media URLs', () => {
  let media: MediaServer;
  beforeAll(async () => {
    media = await startMediaServer();
  });
  afterAll(() => media.close());

  async function tenantOf(t: TestApp) {
    const http = httpClient(t.url);
    const client = await createClient(http, await adminToken(http), {
      send_interval_ms: 0,
      jitter_min_ms: 0,
      jitter_max_ms: 0,
    });
    const instance: TestInstance = await createInstance(http, await resellerToken(http, client));
    t.sim.scan(instance.name);
    return { http, instance, key: { headers: { apikey: client.apiKey } } };
  }

  const latestLogRow = async (http: AxiosInstance, instance: TestInstance, key: { headers: { apikey: string } }) =>
    (await http.get(`/api/v1/whatsapp/messages?instance=${instance.name}&limit=1`, key)).data.messages[0];

  const upstreamMediaSends = (t: TestApp) =>
    t.sim.requests().filter((r) => /^\/message\/send(Media|WhatsAppAudio|Sticker)\//.test(r.path));

  describe('with the default outbound guard', () => {
    let t: TestApp;
    let http: AxiosInstance;
    let instance: TestInstance;
    let key: { headers: { apikey: string } };
    beforeAll(async () => {
      t = await startTestApp();
      ({ http, instance, key } = await tenantOf(t));
    });
    afterAll(() => t.close());

    it.each([
      [
        'cloud metadata',
        'http://169.254.169.254/latest/meta-data/iam',
        /169\.254\.169\.254 is a private, loopback or link-local address/,
      ],
      [
        'an IPv4-mapped IPv6 loopback',
        'http://[::ffff:127.0.0.1]/x.png',
        /is a private, loopback or link-local address/,
      ],
      ['0.0.0.0/8', 'http://0.0.0.1/x.png', /is a private, loopback or link-local address/],
      [
        'a name that resolves to loopback',
        'http://localhost:1/x.png',
        /localhost resolves to a private, loopback or link-local address/,
      ],
      ['another scheme', 'file:///etc/passwd', /must be an http\(s\) URL|only http and https/],
    ])(
      'refuses %s on v1 send-media with a 400 naming the field, and calls nothing upstream',
      async (_what, url, reason) => {
        const res = await http.post(
          '/api/v1/whatsapp/send-media',
          { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: url },
          key,
        );
        expect(res.status).toBe(400);
        expect(res.data.message).toMatch(/^media: /);
        expect(res.data.message).toMatch(reason);
        expect(upstreamMediaSends(t)).toEqual([]);
      },
    );

    it('refuses a loopback media host (this test’s own server) until the operator allows it', async () => {
      const res = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: `${media.url}/a.png` },
        key,
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(/^media: 127\.0\.0\.1 is a private/);
    });

    it.each([
      ['sendMedia', 'media', { mediatype: 'image', media: 'http://169.254.169.254/x' }],
      ['sendWhatsAppAudio', 'audio', { audio: 'http://10.1.2.3/a.ogg' }],
      ['sendSticker', 'sticker', { sticker: 'http://192.168.1.1/s.webp' }],
    ])('refuses a private URL on pass-through %s with a 400 naming %s', async (action, field, body) => {
      const res = await http.post(`/message/${action}/${instance.name}`, { number: '254712345678', ...body }, key);
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(new RegExp(`^${field}: .*private`));
      expect(upstreamMediaSends(t)).toEqual([]);
    });
  });

  describe('with the media host allowed by WEBHOOK_ALLOWED_HOSTS', () => {
    let t: TestApp;
    let http: AxiosInstance;
    let instance: TestInstance;
    let key: { headers: { apikey: string } };
    beforeAll(async () => {
      t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', MAX_MEDIA_BYTES: '4096' });
      ({ http, instance, key } = await tenantOf(t));
    });
    afterAll(() => t.close());

    it('fetches the file itself and sends the upstream base64, with the MIME type and file name it served', async () => {
      const res = await http.post(
        '/api/v1/whatsapp/send-media',
        {
          instanceName: instance.name,
          number: '254712345678',
          mediaType: 'image',
          media: `${media.url}/invoice%20may.png`,
        },
        key,
      );
      expect(res.status).toBe(201);
      expect(upstreamMediaSends(t).at(-1)!.body).toMatchObject({
        media: MEDIA_BYTES.toString('base64'),
        mimetype: 'image/png',
        fileName: 'invoice may.png',
      });
    });

    it('does the same on pass-through sends, keeping the caller’s own fields', async () => {
      const res = await http.post(
        `/message/sendWhatsAppAudio/${instance.name}`,
        { number: '254712345678', audio: `${media.url}/v.ogg`, encoding: false },
        key,
      );
      expect(res.status).toBe(201);
      expect(upstreamMediaSends(t).at(-1)!.body).toMatchObject({
        audio: MEDIA_BYTES.toString('base64'),
        encoding: false,
      });
    });

    it('does not fetch the media of a send refused at once (an opted-out number), on v1 and on the pass-through', async () => {
      const number = '254712399001';
      expect((await http.post('/api/v1/whatsapp/opt-outs', { numbers: [number] }, key)).status).toBe(200);
      const v1 = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number, mediaType: 'image', media: `${media.url}/refused-v1.png` },
        key,
      );
      expect(v1.status).toBe(403);
      expect(v1.data.code).toBe('OPTED_OUT');
      const legacy = await http.post(
        `/message/sendMedia/${instance.name}`,
        { number, mediatype: 'image', media: `${media.url}/refused-legacy.png` },
        key,
      );
      expect(legacy.status).toBe(403);
      expect(media.requests.filter((path) => path.startsWith('/refused-'))).toEqual([]);
      expect((await latestLogRow(http, instance, key)).status).toBe('failed');
    });

    it('checks every redirect: one to a private address is refused', async () => {
      const url = `${media.url}/redirect?to=${encodeURIComponent('http://10.0.0.1/secret')}`;
      const res = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: url },
        key,
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toBe('media: 10.0.0.1 is a private, loopback or link-local address');
    });

    it('stops reading at MAX_MEDIA_BYTES, whatever the server declares, with a 413', async () => {
      const sentBefore = upstreamMediaSends(t).length;
      const res = await http.post(
        '/api/v1/whatsapp/send-media',
        {
          instanceName: instance.name,
          number: '254712345678',
          mediaType: 'video',
          media: `${media.url}/big?bytes=50000`,
        },
        key,
      );
      expect(res.status).toBe(413);
      expect(res.data.message).toMatch(/^media: is over 4096 bytes/);
      expect(upstreamMediaSends(t)).toHaveLength(sentBefore);
    });

    it('answers 400 naming the field when the WhatsApp server cannot read the image (a web page), and logs the send failed', async () => {
      const unreadable = 'media: the WhatsApp server could not process this file (unsupported image format)';
      const v1 = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: `${media.url}/page` },
        key,
      );
      expect(v1.status).toBe(400);
      expect(v1.data).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'UPSTREAM_UNSUPPORTED_MEDIA',
        message: unreadable,
      });
      // The gateway fetched the page and handed it on; the WhatsApp server is what refused it.
      expect(upstreamMediaSends(t).at(-1)!.body).toMatchObject({
        mediatype: 'image',
        media: PAGE_BYTES.toString('base64'),
      });
      expect(await latestLogRow(http, instance, key)).toMatchObject({
        message_type: 'image',
        source: 'api',
        status: 'failed',
        error: unreadable,
      });

      const legacy = await http.post(
        `/message/sendMedia/${instance.name}`,
        { number: '254712345678', mediatype: 'image', media: `${media.url}/page` },
        key,
      );
      expect(legacy.status).toBe(400);
      expect(legacy.data).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'UPSTREAM_UNSUPPORTED_MEDIA',
        message: unreadable,
      });
      expect(await latestLogRow(http, instance, key)).toMatchObject({
        id: legacy.headers['x-message-log-id'],
        source: 'passthrough',
        status: 'failed',
        error: unreadable,
      });
    });

    it('answers a media host that fails with a 400 saying so', async () => {
      const res = await http.post(
        '/api/v1/whatsapp/send-media',
        { instanceName: instance.name, number: '254712345678', mediaType: 'image', media: 'http://127.0.0.1:1/x.png' },
        key,
      );
      expect(res.status).toBe(400);
      expect(res.data.message).toMatch(/^media: could not be fetched \(ECONNREFUSED\)/);
    });
  });
});
