/**
 * CLI entry of the Evolution API simulator (`npm run upstream:sim`), for trying the gateway
 * without a phone. Environment: SIM_PORT (default 8081), SIM_HOST (default 127.0.0.1),
 * EVOLUTION_API_KEY (the global key, default "sim-global-key"), and optionally
 * SIM_CREATE_DELAY_MS / SIM_ACK_DELAY_MS / SIM_WEBHOOK_RETRY_DELAY_MS, and the real server's connection and delete timing:
 * SIM_WHATSAPP_REACHABLE (true/false), SIM_RECONNECT_INTERVAL_MS, SIM_CONNECT_DELAY_MS, SIM_DELETE_LINGER_MS.
 */
import { startEvolutionSimulator } from './evolution-simulator';
import { DEFAULT_BEHAVIOUR } from './simulator-behaviour';

const DEFAULT_KEY = 'sim-global-key';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function boolFromEnv(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

async function main(): Promise<void> {
  const globalKey = process.env['EVOLUTION_API_KEY'] || DEFAULT_KEY;
  const sim = await startEvolutionSimulator({
    port: intFromEnv('SIM_PORT', 8081),
    host: process.env['SIM_HOST'] || '127.0.0.1',
    globalKey,
    createDelayMs: intFromEnv('SIM_CREATE_DELAY_MS', 0),
    ackDelayMs: intFromEnv('SIM_ACK_DELAY_MS', 20),
    webhookRetryDelayMs: intFromEnv('SIM_WEBHOOK_RETRY_DELAY_MS', 5000),
    behaviour: {
      whatsappReachable: boolFromEnv('SIM_WHATSAPP_REACHABLE', DEFAULT_BEHAVIOUR.whatsappReachable),
      reconnectIntervalMs: intFromEnv('SIM_RECONNECT_INTERVAL_MS', DEFAULT_BEHAVIOUR.reconnectIntervalMs),
      connectDelayMs: intFromEnv('SIM_CONNECT_DELAY_MS', DEFAULT_BEHAVIOUR.connectDelayMs),
      deleteLingerMs: intFromEnv('SIM_DELETE_LINGER_MS', DEFAULT_BEHAVIOUR.deleteLingerMs),
    },
  });
  // Only the well-known default key is echoed; a real one stays out of terminals and logs.
  const keyHint = globalKey === DEFAULT_KEY ? `global key "${DEFAULT_KEY}"` : 'global key from EVOLUTION_API_KEY';
  process.stdout.write(`Evolution API simulator listening on ${sim.url} (${keyHint})\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // close() ends every socket and timer, so the process exits on its own.
    sim.close().catch((err: unknown) => {
      process.stderr.write(`evolution simulator: error while closing: ${String(err)}\n`);
      process.exitCode = 1;
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`evolution simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
