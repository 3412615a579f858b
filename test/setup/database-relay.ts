import { startTcpProxy, TcpProxy } from './tcp-proxy';
import { createTestDatabase } from './test-database';

export interface RelayedDatabase {
  /** Straight to Postgres: the test reads through it while the app cannot. */
  url: string;
  /** Through the relay: the app's DATABASE_URL. */
  relayedUrl: string;
  /** Cut it to take Postgres away from the app, resume it to give it back. */
  proxy: TcpProxy;
  /** Stops the relay and drops the database (after the app is closed). */
  close: () => Promise<void>;
}

/** A database of the test's own, reached by the app through a relay the test can cut: Postgres going down for one app. */
export async function relayedDatabase(): Promise<RelayedDatabase> {
  const db = await createTestDatabase();
  const direct = new URL(db.url);
  const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const relayed = new URL(db.url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(proxy.port);
  return {
    url: db.url,
    relayedUrl: relayed.toString(),
    proxy,
    close: async () => {
      proxy.resume();
      await proxy.close();
      await db.drop();
    },
  };
}
