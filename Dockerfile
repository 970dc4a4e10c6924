# One image for the api, the worker and the one-shot migrate service; the command picks.
# It runs the bundles of `npm run build` (dist/) on production dependencies only: no pnpm, tsx,
# TypeScript compiler or test tooling is run in the final stage. .ci/run starts the same bundles
# on the same kind of install (hoisted, --prod) and checks /readyz and SIGTERM.
FROM node:20.20-bookworm-slim AS workspace
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/loadgen/package.json apps/loadgen/
COPY apps/chaos/package.json apps/chaos/
COPY apps/bench/package.json apps/bench/
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
COPY packages/payments/package.json packages/payments/
COPY packages/queues/package.json packages/queues/
COPY packages/stock/package.json packages/stock/
COPY packages/telemetry/package.json packages/telemetry/

FROM workspace AS build
RUN pnpm install --frozen-lockfile
COPY . .
RUN node scripts/build.mjs

# Dependencies the bundles import at run time, flat in /app/node_modules where they resolve.
FROM workspace AS prod-deps
RUN pnpm install --prod --frozen-lockfile --config.node-linker=hoisted

FROM node:20.20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 3001
CMD ["node", "dist/apps/api/src/main.mjs"]
