import net, { AddressInfo, Server, Socket } from 'node:net';

/**
 * TCP proxies between the gateway and Postgres / Redis that count round trips and time them, reading the wire
 * protocols on the side (bytes are forwarded untouched). Postgres' pg_stat_statements is not available, and the
 * gateway must not be changed, so this is how the profile says how many database and Redis calls one request makes,
 * which statements they are, and how long the servers took. Used only by the diagnostic pass, never while measuring.
 */
export interface Call {
  label: string;
  ms: number;
}

abstract class CountingProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  recording = false;
  calls: Call[] = [];

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const conn = this.connection();
      client.on('data', (chunk: Buffer) => {
        conn.fromClient(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        conn.fromServer(chunk);
        client.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Returns and forgets what was recorded. */
  take(): Call[] {
    const calls = this.calls;
    this.calls = [];
    return calls;
  }

  protected record(label: string, startedAt: number): void {
    if (this.recording) this.calls.push({ label, ms: performance.now() - startedAt });
  }

  protected abstract connection(): { fromClient(chunk: Buffer): void; fromServer(chunk: Buffer): void };
}

/** Appends chunks and hands out complete frames. */
class Framer {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }
  get data(): Buffer {
    return this.buf;
  }
  consume(n: number): void {
    this.buf = this.buf.subarray(n);
  }
}

/**
 * Postgres protocol 3: one round trip is a Sync (extended protocol) or a Query (simple protocol), answered by a
 * ReadyForQuery. Statement text comes from Parse, or from the Parse that named the statement a Bind refers to.
 */
export class PgCountingProxy extends CountingProxy {
  protected connection() {
    const fromClient = new Framer();
    const fromServer = new Framer();
    const statements = new Map<string, string>();
    const pending: { label: string; at: number }[] = [];
    let startupSent = false;
    let ready = false;
    let current = '';
    return {
      fromClient: (chunk: Buffer) => {
        fromClient.push(chunk);
        for (;;) {
          const b = fromClient.data;
          if (!startupSent) {
            if (b.length < 4) return;
            const len = b.readInt32BE(0);
            if (b.length < len) return;
            startupSent = true;
            fromClient.consume(len);
            continue;
          }
          if (b.length < 5) return;
          const type = String.fromCharCode(b[0]!);
          const len = b.readInt32BE(1);
          if (b.length < 1 + len) return;
          const body = b.subarray(5, 1 + len);
          if (type === 'P') {
            const nameEnd = body.indexOf(0);
            const name = body.subarray(0, nameEnd).toString();
            const sql = body.subarray(nameEnd + 1, body.indexOf(0, nameEnd + 1)).toString();
            if (name) statements.set(name, sql);
            current = sql;
          } else if (type === 'B') {
            const portalEnd = body.indexOf(0);
            const name = body.subarray(portalEnd + 1, body.indexOf(0, portalEnd + 1)).toString();
            if (name) current = statements.get(name) ?? current;
          } else if (type === 'S') {
            pending.push({ label: current, at: performance.now() });
          } else if (type === 'Q') {
            pending.push({ label: body.subarray(0, body.indexOf(0)).toString(), at: performance.now() });
          }
          fromClient.consume(1 + len);
        }
      },
      fromServer: (chunk: Buffer) => {
        fromServer.push(chunk);
        for (;;) {
          const b = fromServer.data;
          if (b.length < 5) return;
          const len = b.readInt32BE(1);
          if (b.length < 1 + len) return;
          if (b[0] === 0x5a /* Z */) {
            if (!ready) ready = true;
            else {
              const call = pending.shift();
              if (call) this.record(call.label, call.at);
            }
          }
          fromServer.consume(1 + len);
        }
      },
    };
  }
}

/** Redis RESP2: every request is an array of bulk strings; replies are paired with requests in order. */
export class RedisCountingProxy extends CountingProxy {
  constructor(
    host: string,
    port: number,
    private readonly prefix: string,
  ) {
    super(host, port);
  }

  protected connection() {
    const fromClient = new Framer();
    const fromServer = new Framer();
    const pending: { label: string; at: number }[] = [];
    return {
      fromClient: (chunk: Buffer) => {
        fromClient.push(chunk);
        for (;;) {
          const parsed = parseRequest(fromClient.data);
          if (!parsed) return;
          pending.push({ label: this.label(parsed.args), at: performance.now() });
          fromClient.consume(parsed.end);
        }
      },
      fromServer: (chunk: Buffer) => {
        fromServer.push(chunk);
        for (;;) {
          const end = replyEnd(fromServer.data, 0);
          if (end < 0) return;
          const call = pending.shift();
          if (call) this.record(call.label, call.at);
          fromServer.consume(end);
        }
      },
    };
  }

  /** `EVAL rate`, `EVAL cap`, `EVALSHA bull:upstream-events`…: the command and the kind of key it touches. */
  private label(args: string[]): string {
    const cmd = (args[0] ?? '?').toUpperCase();
    let key: string | undefined;
    if (cmd === 'EVAL' || cmd === 'EVALSHA') key = Number(args[2]) > 0 ? args[3] : undefined;
    else key = args[1];
    if (!key || !key.startsWith(`${this.prefix}:`)) return cmd;
    const parts = key.slice(this.prefix.length + 1).split(':');
    return `${cmd} ${parts[0] === 'bull' ? `bull:${parts[1] ?? ''}` : parts[0]}`;
  }
}

function parseRequest(b: Buffer): { args: string[]; end: number } | undefined {
  if (b.length === 0 || b[0] !== 0x2a /* * */) return undefined;
  let pos = b.indexOf('\r\n');
  if (pos < 0) return undefined;
  const n = Number(b.subarray(1, pos).toString());
  pos += 2;
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    if (pos >= b.length) return undefined;
    const lineEnd = b.indexOf('\r\n', pos);
    if (lineEnd < 0) return undefined;
    const len = Number(b.subarray(pos + 1, lineEnd).toString());
    const start = lineEnd + 2;
    if (b.length < start + len + 2) return undefined;
    // Only the first few arguments are needed for labels; scripts and payloads are cut short.
    if (i < 4) args.push(b.subarray(start, start + Math.min(len, 200)).toString());
    pos = start + len + 2;
  }
  return { args, end: pos };
}

/** End offset of the RESP2 reply starting at `pos`, or -1 when it is not complete yet. */
function replyEnd(b: Buffer, pos: number): number {
  if (pos >= b.length) return -1;
  const lineEnd = b.indexOf('\r\n', pos);
  if (lineEnd < 0) return -1;
  const type = b[pos];
  const after = lineEnd + 2;
  switch (type) {
    case 0x2b: // + simple string
    case 0x2d: // - error
    case 0x3a: // : integer
      return after;
    case 0x24: {
      // $ bulk string
      const len = Number(b.subarray(pos + 1, lineEnd).toString());
      if (len < 0) return after;
      return b.length >= after + len + 2 ? after + len + 2 : -1;
    }
    case 0x2a: {
      // * array
      const n = Number(b.subarray(pos + 1, lineEnd).toString());
      let p = after;
      for (let i = 0; i < n; i++) {
        p = replyEnd(b, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      return after;
  }
}
