import { AxiosInstance } from 'axios';
import { TestClient } from './client.factory';

export interface TestInstance {
  id: string;
  name: string;
  apiKey: string;
  webhookSecret: string;
}

/** A reseller JWT for the client, from its API key. */
export async function resellerToken(http: AxiosInstance, client: TestClient): Promise<string> {
  const res = await http.post('/api/v1/auth/token', null, { headers: { apikey: client.apiKey } });
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data.token as string;
}

let counter = 0;

export function uniqueInstanceName(prefix = 'shop'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** A sub-instance created through the reseller API. */
export async function createInstance(
  http: AxiosInstance,
  jwt: string,
  body: Record<string, unknown> = {},
): Promise<TestInstance> {
  const res = await http.post(
    '/api/v1/whatsapp/reseller/sub-instances',
    { instanceName: uniqueInstanceName(), ...body },
    { headers: { authorization: `Bearer ${jwt}` } },
  );
  if (res.status !== 201) throw new Error(`instance creation failed: ${res.status} ${JSON.stringify(res.data)}`);
  return {
    id: res.data.instance_id,
    name: res.data.instance_name,
    apiKey: res.data.api_key,
    webhookSecret: res.data.webhook_secret,
  };
}
