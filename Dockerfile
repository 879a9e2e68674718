# syntax=docker/dockerfile:1
# Pieng Medidor plant server: the API (dist/apps/api/main.js) serving the web console (dist/apps/web/browser).
#   docker build -t pieng-medidor .
#   docker run -p 3000:3000 -v pieng-data:/data pieng-medidor
# Migrations run at start-up; the data volume holds app.db, audit.log, generated secrets and backups.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- toolchain: sqlite3, argon2 and @serialport/bindings-cpp are native modules ----
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NX_NO_CLOUD=true NX_DAEMON=false CI=true

# ---- build: every dependency, then the API bundle and the web console ----
FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && test -f dist/apps/api/main.js \
 && test -f dist/apps/web/browser/index.html

# ---- production dependencies only, compiled on the same base image as the runtime ----
FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
# The lockfile already carries the `overrides` resolution; --omit=dev leaves the build tools out.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && node -e "require('sqlite3'); require('argon2'); require('@serialport/bindings-cpp'); require('tslib')"

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000 \
    LOG_FORMAT=json
WORKDIR /app
# The image's "node" user (uid 1000); dialout lets it open /dev/ttyUSB* passed in with --device.
RUN usermod -aG dialout node \
 && mkdir -p /data \
 && chown node:node /data
COPY --chown=root:root --from=prod-deps /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
# Keep the dist layout: the API serves the console from join(__dirname, '..', 'web', 'browser').
COPY --chown=root:root --from=build /app/dist/apps/api ./dist/apps/api
COPY --chown=root:root --from=build /app/dist/apps/web/browser ./dist/apps/web/browser
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+(process.env.API_PREFIX||'/api')+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec form: node itself receives SIGTERM on `docker stop` and closes the database cleanly (enableShutdownHooks);
# compose adds `init: true` so a tiny init reaps any child processes.
CMD ["node", "dist/apps/api/main.js"]
