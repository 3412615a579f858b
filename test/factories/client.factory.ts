import axios, { AxiosInstance } from 'axios';
import { TEST_ADMIN } from '../setup/test-env';

/** An HTTP client that never throws on status, so tests assert on every answer. */
export function httpClient(baseURL: string): AxiosInstance {
  return axios.create({ baseURL, validateStatus: () => true, timeout: 15000 });
}

export async function adminToken(http: AxiosInstance): Promise<string> {
  const res = await http.post('/api/login', TEST_ADMIN);
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data.token as string;
}

export interface TestClient {
  id: number;
  apiKey: string;
}

let counter = 0;

/**
 * A client created through the admin API, with its API key. Tests that ask for pacing under one message a second get
 * the operator's pacing override with it, unless they set it themselves.
 */
export async function createClient(
  http: AxiosInstance,
  token: string,
  body: Record<string, unknown> = {},
): Promise<TestClient> {
  counter += 1;
  const fast =
    typeof body.send_interval_ms === 'number' && body.send_interval_ms < 1000 && body.pacing_override === undefined;
  const res = await http.post(
    '/api/admin/clients',
    { name: `client-${counter}`, ...(fast ? { pacing_override: true } : {}), ...body },
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (res.status !== 201) throw new Error(`client creation failed: ${res.status} ${JSON.stringify(res.data)}`);
  return { id: res.data.id as number, apiKey: res.data.api_key as string };
}
