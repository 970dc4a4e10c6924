# One image for the api, the worker and the one-shot migrate service; the command picks.
FROM node:20.20-bookworm-slim AS base
WORKDIR /app
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm install -g pnpm@10.34.8

FROM base AS deps
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
COPY packages/payments/package.json packages/payments/
COPY packages/queues/package.json packages/queues/
COPY packages/stock/package.json packages/stock/
RUN pnpm install --frozen-lockfile

FROM deps AS app
COPY . .
RUN node scripts/prisma-generate.mjs
ENV NODE_ENV=production
USER node
EXPOSE 3000 3001
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]
