#!/bin/sh
# Container start. `first-start` generates missing secrets once (compose runs it before everything else); otherwise
# apply pending migrations (idempotent, safe to run from every replica), then exec the gateway so it receives
# SIGTERM directly for a graceful shutdown.
set -e
if [ "${1:-}" = "first-start" ]; then
  exec node dist/first-start.js
fi
node_modules/.bin/prisma migrate deploy
exec node dist/main.js
