import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Document, OpenApiConformance } from './openapi-conformance';

const document = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'client', 'openapi.json'), 'utf8'),
) as Document;

describe(OpenApiConformance.name, () => {
  const sut = OpenApiConformance.of(document);
  const state = (body: unknown) => sut.problems('get', '/api/v1/whatsapp/status/shop-1', 200, body);

  it('accepts an answer with exactly the documented keys, types and enum values', () => {
    expect(state({ instance: 'shop-1', state: 'open', restriction: null })).toEqual([]);
  });

  it('reports undocumented and missing keys, wrong types, values outside the enum and unexpected nulls', () => {
    expect(state({ instance: 'shop-1', state: 'open', restriction: null, extra: 1 })).toEqual([
      'GET /api/v1/whatsapp/status/{instanceName} → 200: key extra is not documented',
    ]);
    expect(state({ state: 'open', restriction: null })).toEqual([
      'GET /api/v1/whatsapp/status/{instanceName} → 200: required key instance is missing',
    ]);
    expect(state({ instance: 3, state: 'gone', restriction: null })).toHaveLength(2);
    expect(state({ instance: null, state: 'open', restriction: null })).toHaveLength(1);
    expect(sut.problems('post', '/api/v1/whatsapp/send-bulk/x/pause', 200, {})).toHaveLength(3);
  });

  it('checks error answers against the error body, and formats', () => {
    const error = {
      statusCode: 404,
      error: 'Not Found',
      code: 'INSTANCE_NOT_FOUND',
      message: 'Instance "x" does not exist',
    };
    expect(sut.problems('get', '/api/v1/whatsapp/status/x', 404, error)).toEqual([]);
    expect(sut.problems('get', '/api/v1/whatsapp/status/x', 500, { ...error, statusCode: 500.5 })).toHaveLength(1);
    const summary = { bulk_id: 'not-a-uuid', status: 'paused', pause_reason: null };
    expect(sut.problems('post', '/api/v1/whatsapp/send-bulk/x/pause', 200, summary)).toHaveLength(1);
  });

  it('finds the route of a URL without its query string, and says when none is documented', () => {
    const page = { messages: [], total: 0, next_cursor: null };
    expect(sut.problems('get', '/api/v1/whatsapp/messages?limit=1', 200, page)).toEqual([]);
    expect(sut.problems('get', '/nowhere', 200, {})).toEqual(['get /nowhere: not in the document']);
  });
});
