# syntax=docker/dockerfile:1
#
# The directory service on its own (distributed mode, DESIGN.md §2).
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
# Only the manifests, so this layer is rebuilt only when dependencies change. Every workspace
# named in the root package.json must have its package.json here, or npm refuses the install.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/directory/package.json services/directory/
# `npm install`, not `npm ci`: the lockfile was written against a registry that lacks some
# platform builds, so `npm ci` rejects it; `npm install` still follows the lockfile's versions
# and fills in the optional platform packages (esbuild's, for tsx) of the build platform.
# `--omit=dev` at the root leaves out the root devDependencies (jest, eslint, typescript, swc,
# redocly...) while installing every workspace's own dependencies: tsx is a dependency of
# @samverkan/shared, so it is kept. npm links the workspaces as node_modules/@samverkan/* ->
# ../../shared and ../../services/directory (relative links, valid again under /app in the
# runtime stage), and may nest a few packages in shared/node_modules.
RUN npm install --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SAMVERKAN_DATA_DIR=/app/data

COPY --from=deps --chown=node:node /app/node_modules ./node_modules
# Packages npm nested under the workspace (present when versions conflict with the hoisted ones).
COPY --from=deps --chown=node:node /app/shared/node_modules ./shared/node_modules

COPY --chown=node:node package.json tsconfig.json tsconfig.base.json ./
COPY --chown=node:node shared/package.json shared/tsconfig.json ./shared/
COPY --chown=node:node shared/src ./shared/src
COPY --chown=node:node services/directory/package.json services/directory/tsconfig.json ./services/directory/
COPY --chown=node:node services/directory/src ./services/directory/src
# Read at run time: the OpenAPI contract (request/response schemas), the AsyncAPI event catalog
# and the documents behind /docs.
COPY --chown=node:node openapi ./openapi

# The data folder holds nothing in a normal deployment; with AUTH_DEV_ISSUER=true or
# SEED_DEMO_DATA=true it keeps the development issuer key and the demo's private keys, so
# compose mounts one volume here for every replica.
RUN mkdir -p /app/data && chown node:node /app/data

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
