# Multi-stage build: compile with dev dependencies, ship production dependencies and dist/ only, run as non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY client ./client
COPY dashboard ./dashboard
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/prisma.config.ts ./
COPY --chown=node:node docker/entrypoint.sh ./docker/entrypoint.sh
# Mount points of the volumes the first start writes its generated secrets to; a new named volume takes this owner.
RUN mkdir -p /secrets /evolution-key && chown node:node /secrets /evolution-key && chmod 700 /secrets
USER node
EXPOSE 3000
# Applies pending migrations, then starts the role named by APP_ROLE.
ENTRYPOINT ["sh", "docker/entrypoint.sh"]
