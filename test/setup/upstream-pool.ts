import { AxiosInstance } from 'axios';
import { EvolutionSimulator, startEvolutionSimulator } from '../upstream/evolution-simulator';
import { startTcpProxy, TcpProxy } from './tcp-proxy';

/** Another Evolution API server of the pool: a simulator of its own, behind a relay a test can cut. */
export interface ExtraUpstream {
  id: number;
  name: string;
  sim: EvolutionSimulator;
  /** Cut it and the server is down for the gateway (connections refused); resume it and it answers again. */
  relay: TcpProxy;
  url: string;
  close(): Promise<void>;
}

/** Starts a simulator with its own global key and adds it to the gateway's pool through the operator's API. */
export async function addUpstream(
  http: AxiosInstance,
  adminJwt: string,
  opts: { name: string; capacity: number },
): Promise<ExtraUpstream> {
  const globalKey = `${opts.name}-global-key-${process.pid}`;
  const sim = await startEvolutionSimulator({ port: 0, globalKey });
  const relay = await startTcpProxy('127.0.0.1', sim.port);
  const url = `http://127.0.0.1:${relay.port}`;
  const close = async () => {
    await relay.close();
    await sim.close();
  };
  const res = await http.post(
    '/api/admin/upstreams',
    { name: opts.name, url, api_key: globalKey, capacity: opts.capacity },
    { headers: { authorization: `Bearer ${adminJwt}` } },
  );
  if (res.status !== 201) {
    await close();
    throw new Error(`adding upstream ${opts.name} failed: ${res.status} ${JSON.stringify(res.data)}`);
  }
  return { id: (res.data as { id: number }).id, name: opts.name, sim, relay, url, close };
}
