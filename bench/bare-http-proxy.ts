/**
 * The floor a send is compared with: Node's own `http` server with the gateway's send route, forwarding each request
 * to the same Evolution API simulator as `POST /message/sendText/:instance` with `{number, text}` and the instance
 * token as `apikey`, over a keep-alive agent. No framework, no auth, no validation, no database: the least work a
 * process can do to relay a send.
 *
 * Environment: PORT, BARE_UPSTREAM_URL, BARE_TOKENS (JSON object: instance name → instance token).
 */
import http from 'node:http';

function main(): void {
  const port = Number(process.env.PORT);
  const upstream = process.env.BARE_UPSTREAM_URL ? new URL(process.env.BARE_UPSTREAM_URL) : undefined;
  if (!port || !upstream) throw new Error('PORT and BARE_UPSTREAM_URL are required');
  const tokens = JSON.parse(process.env.BARE_TOKENS ?? '{}') as Record<string, string>;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return void res.end('{"status":"ok"}');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { instanceName, number, text } = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>;
      const payload = JSON.stringify({ number, text });
      const out = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: 'POST',
          path: `/message/sendText/${encodeURIComponent(instanceName ?? '')}`,
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            apikey: tokens[instanceName ?? ''] ?? '',
          },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
          answer.pipe(res);
        },
      );
      out.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      out.end(payload);
    });
  });
  server.listen(port, '127.0.0.1');

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    agent.destroy();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
