import { embeddedError, mapTransportFailure, mapUpstreamResponse, upstreamText } from './evolution.error-mapper';

const ctx = { operation: 'send the text message', instanceName: 'shop-1' };

describe('evolution error mapping (contract §3)', () => {
  it('maps an unknown instance to 404', () => {
    const sut = mapUpstreamResponse(
      404,
      { status: 404, error: 'Not Found', response: { message: ['The "shop-1" instance does not exist'] } },
      ctx,
    );
    expect(sut).toMatchObject({ kind: 'instance_not_found', status: 404, upstreamStatus: 404, retryable: false });
    expect(sut.message).toContain('"shop-1"');
  });

  it('maps a taken name (403) to 409', () => {
    const sut = mapUpstreamResponse(
      403,
      { status: 403, error: 'Forbidden', response: { message: ['This name "shop-1" is already in use.'] } },
      ctx,
    );
    expect(sut).toMatchObject({ kind: 'name_taken', status: 409 });
  });

  it('maps a rejected token (401) to an unauthorized kind the auto-heal can act on', () => {
    const sut = mapUpstreamResponse(
      401,
      { status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } },
      ctx,
    );
    expect(sut).toMatchObject({ kind: 'unauthorized', status: 502, retryable: false });
  });

  it('maps exists:false to 400 naming the number', () => {
    const body = {
      status: 400,
      error: 'Bad Request',
      response: { message: [{ jid: '254712340000@s.whatsapp.net', exists: false, number: '254712340000' }] },
    };
    const sut = mapUpstreamResponse(400, body, ctx);
    expect(sut).toMatchObject({ kind: 'not_on_whatsapp', status: 400 });
    expect(sut.message).toBe('number: 254712340000 is not on WhatsApp');
  });

  it.each([
    [400, { status: 400, error: 'Bad Request', response: { message: ['Error: Connection Closed'] } }],
    [500, { status: 500, error: 'Internal Server Error', response: { message: 'Connection Closed' } }],
    [500, { status: 500, error: 'Internal Server Error', response: { message: ['Error: Connection Closed'] } }],
    // Never connected: the upstream has no socket for the instance yet (contract §12).
    [
      500,
      {
        status: 500,
        error: 'Internal Server Error',
        response: { message: "Cannot read properties of undefined (reading 'onWhatsApp')" },
      },
    ],
    [
      500,
      {
        status: 500,
        error: 'Internal Server Error',
        response: { message: ["TypeError: Cannot read properties of undefined (reading 'waUploadToServer')"] },
      },
    ],
  ])('maps Connection Closed (%i) to 409 telling the user to reconnect', (status, body) => {
    const sut = mapUpstreamResponse(status, body, ctx);
    expect(sut).toMatchObject({ kind: 'connection_closed', status: 409, retryable: true });
    expect(sut.message).toMatch(/reconnect/);
  });

  it('maps other 400s to 400 with the upstream reason text, not its raw body', () => {
    const sut = mapUpstreamResponse(
      400,
      { status: 400, error: 'Bad Request', response: { message: [['requires property "text"']] } },
      ctx,
    );
    expect(sut).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(sut.message).toBe('The WhatsApp server could not send the text message: requires property "text"');
  });

  it('drops "[object Object]" and keeps a useful message', () => {
    const sut = mapUpstreamResponse(
      400,
      { status: 400, error: 'Bad Request', response: { message: ['[object Object]'] } },
      ctx,
    );
    expect(sut.message).not.toContain('[object Object]');
    expect(sut.message).toBe('The WhatsApp server could not send the text message: the request was rejected');
  });

  it('maps 5xx to a retryable 502 without the upstream’s internal text', () => {
    const body = {
      status: 500,
      error: 'Internal Server Error',
      response: { message: "Cannot read properties of undefined (reading 'id')" },
    };
    const sut = mapUpstreamResponse(500, body, ctx);
    expect(sut).toMatchObject({ kind: 'upstream_error', status: 502, retryable: true });
    expect(sut.message).toBe('The WhatsApp server failed to send the text message');
  });

  it('maps a file the upstream cannot read as an image (500 from sharp) to 400 naming the field, not retryable', () => {
    const media = { operation: 'send the media message', instanceName: 'shop-1', mediaField: 'media' };
    const sut = mapUpstreamResponse(
      500,
      {
        status: 500,
        error: 'Internal Server Error',
        response: { message: ['Error: Input buffer contains unsupported image format'] },
      },
      media,
    );
    expect(sut).toMatchObject({
      kind: 'unsupported_media',
      status: 400,
      code: 'UPSTREAM_UNSUPPORTED_MEDIA',
      upstreamStatus: 500,
      retryable: false,
    });
    expect(sut.message).toBe('media: the WhatsApp server could not process this file (unsupported image format)');
  });

  it('maps the sticker conversion’s bare sharp error the same way, naming its field', () => {
    const sticker = { operation: 'send the message', instanceName: 'shop-1', mediaField: 'sticker' };
    const sut = mapUpstreamResponse(
      500,
      {
        status: 500,
        error: 'Internal Server Error',
        response: { message: 'Input buffer contains unsupported image format' },
      },
      sticker,
    );
    expect(sut).toMatchObject({ kind: 'unsupported_media', status: 400 });
    expect(sut.message).toBe('sticker: the WhatsApp server could not process this file (unsupported image format)');
    expect(
      mapUpstreamResponse(500, { response: { message: 'Input buffer contains unsupported image format' } }, ctx)
        .message,
    ).toBe('The WhatsApp server could not process this file (unsupported image format)');
  });

  it('turns HTTP 200 {error:true} into an error and leaves normal bodies alone', () => {
    expect(
      embeddedError({ error: true, message: '[object Object]' }, { operation: 'restart', instanceName: 'shop-1' }),
    ).toMatchObject({
      kind: 'upstream_error',
      status: 502,
    });
    expect(embeddedError({ instance: { state: 'open' } }, ctx)).toBeUndefined();
    expect(embeddedError({ status: 'SUCCESS', error: false }, ctx)).toBeUndefined();
  });

  it('maps timeouts to 504 and refused connections to 502', () => {
    expect(mapTransportFailure({ code: 'ECONNABORTED' }, ctx)).toMatchObject({
      kind: 'timeout',
      status: 504,
      retryable: true,
    });
    expect(mapTransportFailure({ name: 'HeadersTimeoutError', code: 'UND_ERR_HEADERS_TIMEOUT' }, ctx)).toMatchObject({
      kind: 'timeout',
      status: 504,
    });
    expect(mapTransportFailure({ name: 'BodyTimeoutError', code: 'UND_ERR_BODY_TIMEOUT' }, ctx)).toMatchObject({
      kind: 'timeout',
      status: 504,
    });
    expect(mapTransportFailure({ code: 'ECONNREFUSED' }, ctx)).toMatchObject({
      kind: 'unreachable',
      status: 502,
      retryable: true,
    });
    expect(mapTransportFailure({ name: 'SocketError', code: 'UND_ERR_SOCKET' }, ctx)).toMatchObject({
      kind: 'unreachable',
      status: 502,
    });
  });

  it('reads group-route validation messages ({property, message})', () => {
    expect(upstreamText({ status: 400, message: [{ property: 'participants', message: 'is required' }] })).toBe(
      'participants: is required',
    );
  });
});
