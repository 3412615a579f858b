import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorBody } from '@/common/errors/http-status';

const ASSETS = '/dashboard/assets/';

/** Where `npm run build` writes the dashboard, the same from src/app (ts-node) and dist/app (built). */
export const DEFAULT_DASHBOARD_DIR = path.resolve(__dirname, '..', '..', 'dist', 'dashboard');

/**
 * Serves the dashboard's built files at /dashboard. Hashed assets are cached for a year; any other path below
 * /dashboard answers the app's index.html (never cached), so a deep link such as /dashboard/instances/shop-1 or a
 * reload opens the right page. The app itself only calls the public API and /ws.
 */
export async function registerDashboard(fastify: FastifyInstance, dir: string): Promise<void> {
  const indexFile = path.join(dir, 'index.html');
  if (!existsSync(indexFile)) {
    const notBuilt = errorBody(404, 'DASHBOARD_NOT_BUILT', 'dashboard: not built; run npm run build');
    fastify.get('/dashboard', (_request, reply) => reply.code(404).send(notBuilt));
    fastify.get('/dashboard/*', (_request, reply) => reply.code(404).send(notBuilt));
    return;
  }
  const index = readFileSync(indexFile, 'utf8');
  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  await fastify.register(
    async (scope) => {
      await scope.register(fastifyStatic, {
        root: dir,
        prefix: '/',
        decorateReply: false,
        index: false,
        // Its own max-age=0 would override the headers set below.
        cacheControl: false,
        setHeaders: (res, filePath) => {
          const hashed = filePath.startsWith(path.join(dir, 'assets') + path.sep);
          res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
      scope.get('/', (_request, reply) => sendIndex(reply));
      // Any other path is a page of the app (instance names may hold dots), except below assets/, where only the
      // built files exist: a missing one is a plain 404, not the app's HTML.
      scope.setNotFoundHandler((request, reply) => {
        const isPage = (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith(ASSETS);
        return isPage ? sendIndex(reply) : reply.code(404).send(errorBody(404, 'NOT_FOUND', 'dashboard: no such file'));
      });
    },
    { prefix: '/dashboard' },
  );
}
