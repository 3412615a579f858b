/**
 * The baseline the gateway is compared with: a bare Fastify server with the gateway's send route, forwarding each
 * request to the same Evolution API simulator as `POST /message/sendText/:instance` with `{number, text}` and the
 * instance token as `apikey`. It uses the same Fastify (5, the gateway's through @nestjs/platform-fastify) and the
 * same upstream HTTP client as the gateway's EvolutionClient (axios over a keep-alive agent of 128 sockets), so the
 * difference between the two is what the gateway does around the forwarding: Nest, auth, limits, the message log.
 *
 * Environment: PORT, BARE_UPSTREAM_URL, BARE_TOKENS (JSON object: instance name → instance token).
 */
import axios from 'axios';
import Fastify from 'fastify';
import http from 'node:http';

interface SendBody {
  instanceName: string;
  number: string;
  text: string;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const upstream = process.env.BARE_UPSTREAM_URL;
  if (!port || !upstream) throw new Error('PORT and BARE_UPSTREAM_URL are required');
  const tokens = JSON.parse(process.env.BARE_TOKENS ?? '{}') as Record<string, string>;

  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const client = axios.create({
    baseURL: upstream,
    httpAgent: agent,
    validateStatus: () => true,
    maxRedirects: 0,
    timeout: 30000,
    headers: { 'content-type': 'application/json' },
  });

  const app = Fastify({ logger: false });
  app.get('/health', () => Promise.resolve({ status: 'ok' }));
  app.post<{ Body: SendBody }>('/api/v1/whatsapp/send', async (request, reply) => {
    const { instanceName, number, text } = request.body;
    const res = await client.post(
      `/message/sendText/${encodeURIComponent(instanceName)}`,
      { number, text },
      { headers: { apikey: tokens[instanceName] ?? '' } },
    );
    void reply.code(res.status);
    return res.data;
  });
  await app.listen({ port, host: '127.0.0.1' });

  const stop = () => {
    void app.close().finally(() => {
      agent.destroy();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bare proxy: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
