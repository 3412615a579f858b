/** What a call for an instance needs: the server it lives on and its current token there. */
export interface InstanceCredentials {
  upstreamId: number;
  token: string;
}

/**
 * Where the client gets instance credentials. Implemented by the instances feature (tokens live encrypted in
 * Postgres, beside the instance's upstream); the client only asks for the current ones and, after a 401, for a fresh
 * token (contract §1: an expired or rotated token answers 401).
 */
export interface InstanceTokenStore {
  current(instanceId: string): Promise<InstanceCredentials>;
  /** A token other than `rejected`: the stored one if another call already refreshed it, otherwise a fetched one. */
  refreshAfterRejection(instanceId: string, rejected: string): Promise<string>;
}
