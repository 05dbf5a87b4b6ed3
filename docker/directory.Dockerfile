# The directory service on its own (distributed mode, docs/architecture.md#services-and-the-way-data-flows).
#
# Build from the repository root (docker/compose.yml does this with `context: ..`):
#   docker build -f docker/directory.Dockerfile -t samverkan/directory .
#
# Build context: docker/directory.Dockerfile.dockerignore (BuildKit reads the ignore file that
# sits beside the Dockerfile) keeps node_modules, data, .git and .env out of the context. The
# COPY lines below name only what the service needs anyway, so a builder without BuildKit gets
# the same image, just with a larger context.
#
# There is no build step: tsx runs the TypeScript as it is, with the root tsconfig.json
# (decorators for the TypeORM entities), exactly like `npm run start -w services/directory`.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: production dependencies of the workspaces --------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Only the manifests, so this layer is rebuilt only when dependencies change. A workspace is
# linked and has its dependencies installed only if its package.json is here: when a workspace
# that the directory imports is added to the root package.json, add its manifest below.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/directory/package.json services/directory/
# `npm install`, not `npm ci`: the lockfile was written against a registry that lacks some
# platform builds, so `npm ci` rejects it; `npm install` still follows the lockfile's versions
# and fills in the optional platform packages (esbuild's, for tsx) of the build platform.
# `--omit=dev` at the root leaves out the root devDependencies (jest, eslint, redocly...) while
# installing every workspace's own dependencies: tsx is a dependency of @samverkan/shared, so it
# is kept. (ts-node, typescript and @swc/core stay too: the lockfile records ts-node as an
# optional peer of typeorm. Unused at run time, they only make the image larger.)
# npm links the workspaces as node_modules/@samverkan/* -> ../../shared and
# ../../services/directory (relative links, valid again under /app in the runtime stage), and
# may nest a few packages in shared/node_modules.
RUN npm install --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV HOST=0.0.0.0 \
    PORT=3000 \
    SAMVERKAN_DATA_DIR=/app/data
WORKDIR /app

# The manifests and node_modules with the workspace links, plus whatever npm nested under a
# workspace (shared/node_modules today). Everything stays owned by root: the service reads its
# code and never writes it.
COPY --from=deps /app ./
COPY tsconfig.json tsconfig.base.json ./
COPY shared/tsconfig.json ./shared/
COPY shared/src ./shared/src
COPY services/directory/tsconfig.json ./services/directory/
COPY services/directory/src ./services/directory/src
# Read at run time: the OpenAPI contract (request/response schemas), the AsyncAPI event catalog
# and the documents served under /docs.
COPY openapi ./openapi

# The data folder holds nothing in a normal deployment; with AUTH_DEV_ISSUER=true or
# SEED_DEMO_DATA=true it keeps the development issuer key and the demo's private keys, so
# compose mounts one volume here for every replica.
RUN mkdir -p /app/data /app/audit-keys && chown node:node /app/data /app/audit-keys

USER node
WORKDIR /app/services/directory
EXPOSE 3000

# /readyz answers 200 when ready (also when only NATS is away: the outbox holds the events) and
# 503 when Postgres is down. The slim image has no curl: Node's own fetch does the request.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# What `npm run start -w services/directory` runs, without npm in between. The service runs its
# migrations itself before it listens. tsx relays SIGTERM/SIGINT to the server, which then
# drains (close-with-grace, up to 15 s).
CMD ["/app/node_modules/.bin/tsx", "--tsconfig", "/app/tsconfig.json", "src/server.ts"]
