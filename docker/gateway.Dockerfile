# The gateway of docker/compose.yml: nginx routing /v1/… to the services (nginx.conf) and serving
# the web front door's static build (web/dist) at /, the same build `npm start` serves.
#
# Build from the repository root (docker/compose.yml does this with `context: ..`):
#   docker build -f docker/gateway.Dockerfile -t samverkan/gateway .

ARG NODE_IMAGE=node:20-bookworm-slim
ARG NGINX_IMAGE=nginx:1.27-alpine

# ---- web: build web/dist ------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /app
# The manifests of every workspace, so that npm links them (the web imports the SDK's generated
# OpenAPI types by package name); only the web workspace's own dependencies are installed.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/directory/package.json services/directory/
COPY services/referrals/package.json services/referrals/
COPY services/notifications/package.json services/notifications/
COPY sdk/package.json sdk/
COPY web/package.json web/
RUN npm install --workspace web --workspace sdk --include-workspace-root=false --ignore-scripts --no-audit --no-fund
# The web builds the SDK's envelope, device-key and client code into its bundle (one envelope
# implementation for the CLI and the browser), and the municipality list from shared/.
COPY sdk/src/ sdk/src/
COPY shared/src/sweden/ shared/src/sweden/
COPY web/ web/
RUN npm run build --workspace web

# ---- runtime ------------------------------------------------------------------------------
FROM ${NGINX_IMAGE}
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY --from=web /app/web/dist /usr/share/samverkan-web
# The identity providers the web offers for sign-in; mount your own over it (docker/README.md).
COPY docker/sign-in.json /etc/samverkan/sign-in.json
