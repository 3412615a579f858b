import { cleanUpstreamBody, pickQuery, REDACTED } from './upstream-answer';

describe(cleanUpstreamBody.name, () => {
  const secrets = ['global-key-0123456789', 'TOKEN0123456789ABCDEF'];

  it('redacts every secret wherever it appears, keys and nesting included', () => {
    const body = {
      apikey: 'global-key-0123456789',
      nested: [{ text: 'token TOKEN0123456789ABCDEF here' }],
      n: 1,
      ok: true,
      none: null,
    };
    expect(cleanUpstreamBody(body, secrets)).toEqual({
      apikey: REDACTED,
      nested: [{ text: `token ${REDACTED} here` }],
      n: 1,
      ok: true,
      none: null,
    });
  });

  it('explains "[object Object]" in error bodies only', () => {
    const error = { status: 400, error: 'Bad Request', response: { message: ['[object Object]'] } };
    expect(cleanUpstreamBody(error, secrets, 'what failed')).toEqual({
      status: 400,
      error: 'Bad Request',
      response: { message: ['what failed'] },
    });
    const sent = { message: { conversation: '[object Object]' } };
    expect(cleanUpstreamBody(sent, secrets)).toEqual(sent);
  });

  it('ignores secrets too short to be real, so they cannot blank out ordinary text', () => {
    expect(cleanUpstreamBody('a b c', ['a'])).toBe('a b c');
  });
});

describe(pickQuery.name, () => {
  it('keeps only the allowed string parameters', () => {
    expect(pickQuery({ number: '2547', instanceName: 'other', instanceId: 'x' }, ['number'])).toEqual({
      number: '2547',
    });
    expect(pickQuery({ instanceName: 'other' }, [])).toBeUndefined();
    expect(pickQuery({ getParticipants: ['a', 'b'] }, ['getParticipants'])).toBeUndefined();
  });
});
