import { HttpException, NotFoundException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Prisma } from '@/generated/prisma/client';
import { ConflictError, RateLimitedError } from './app-error';
import { GlobalExceptionFilter } from './global-exception.filter';
import { codeForStatus } from './http-status';

describe(GlobalExceptionFilter.name, () => {
  const sut = new GlobalExceptionFilter();
  const request = { id: 'req-1', method: 'GET', url: '/nowhere?x=1' } as FastifyRequest;

  it('gives every body the code the error carries', () => {
    expect(sut.render(new ConflictError('Bulk is running', 'BULK_STATE')).body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'BULK_STATE',
      message: 'Bulk is running',
    });
    expect(sut.render(new RateLimitedError('Slow down', 3)).body.code).toBe('RATE_LIMITED');
  });

  it('names errors raised outside the gateway’s code by their status, and unknown routes as such', () => {
    expect(sut.render(new HttpException('Request body is too large', 413)).body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(sut.render(new HttpException('Unsupported Media Type: text/csv', 415)).body.code).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(sut.render(new NotFoundException('Cannot GET /nowhere'), request).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'ROUTE_NOT_FOUND',
      message: 'Route GET /nowhere does not exist',
    });
  });

  it('codes database failures and anything unexpected', () => {
    const unique = new Prisma.PrismaClientKnownRequestError('dup', {
      code: 'P2002',
      clientVersion: 'x',
      meta: { target: ['name'] },
    });
    expect(sut.render(unique).body).toMatchObject({ statusCode: 409, code: 'ALREADY_EXISTS' });
    jest.spyOn(sut['logger'], 'warn').mockImplementation(() => undefined);
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(sut.render(down, request).body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    jest.spyOn(sut['logger'], 'error').mockImplementation(() => undefined);
    expect(sut.render(new TypeError('boom')).body).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
  });

  it('derives a status’s code from its name', () => {
    expect([400, 405, 429, 500, 504].map(codeForStatus)).toEqual([
      'BAD_REQUEST',
      'METHOD_NOT_ALLOWED',
      'TOO_MANY_REQUESTS',
      'INTERNAL_ERROR',
      'GATEWAY_TIMEOUT',
    ]);
  });
});
