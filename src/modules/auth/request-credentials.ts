import type { IncomingHttpHeaders } from 'node:http';

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (typeof header !== 'string') return undefined;
  return /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
}

/** The `apikey` header, trimmed; undefined when it is missing or blank. */
export function apiKeyHeader(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.apikey;
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}
