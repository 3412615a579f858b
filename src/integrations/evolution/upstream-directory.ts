/** One Evolution API server of the pool, as calls need it: where it is and its global key. */
export interface UpstreamTarget {
  id: number;
  name: string;
  /** Without a trailing slash. */
  url: string;
  apiKey: string;
}

/**
 * Where the client learns which server to call and tells how the call went. Implemented by the upstreams feature
 * (servers live in Postgres, their health in each process); handed to the client at boot like the token store.
 */
export interface UpstreamDirectory {
  /** The server to call; throws an `upstream_down` EvolutionError (503) at once while its circuit is open. */
  available(upstreamId: number): Promise<UpstreamTarget>;
  /** The server could not be reached (refused, reset, no route): one more strike towards opening its circuit. */
  unreachable(upstreamId: number, reason: string): void;
  /** The server answered (any HTTP status): it is reachable. */
  answered(upstreamId: number): void;
}
