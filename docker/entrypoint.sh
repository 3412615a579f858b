#!/bin/sh
# Container start: apply pending migrations (idempotent, safe to run from every replica), then exec the gateway
# so it receives SIGTERM directly for a graceful shutdown.
set -e
node_modules/.bin/prisma migrate deploy
exec node dist/main.js
