/**
 * Where the client gets instance tokens. Implemented by the instances feature (tokens live encrypted in Postgres);
 * the client only asks for the current token and, after a 401, for a fresh one (contract §1: an expired or rotated
 * token answers 401).
 */
export interface InstanceTokenStore {
  current(instanceId: string): Promise<string>;
  /** A token other than `rejected`: the stored one if another call already refreshed it, otherwise a fetched one. */
  refreshAfterRejection(instanceId: string, rejected: string): Promise<string>;
}
