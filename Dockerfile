# Herald's container image.
#
#   docker build -t herald .
#   docker run -p 6001:6001 -v herald-data:/data herald
#
# Two stages: the first compiles the TypeScript with the dev dependencies, the
# second holds the compiled server and the production dependencies only.
# BASE is any Debian bookworm image with Node.js 20 and npm on the PATH
# (`npm run test:image` builds one of its own, since no image registry is
# reachable where it runs).
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here, and
# nothing the build needs has an install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-console-assets.mjs scripts/
COPY src src
RUN npm run build

FROM ${BASE}
# A user of its own: the server needs no privilege (6001 is not a privileged port).
RUN groupadd --system --gid 10001 herald \
 && useradd --system --uid 10001 --gid herald --home-dir /app --no-create-home --shell /usr/sbin/nologin herald \
 && mkdir -p /app /data \
 && chown herald:herald /data
WORKDIR /app
COPY package.json package-lock.json ./
# The SQLite driver (libsql) comes as prebuilt binaries in npm packages: no compiler needed.
# npm installs its builds for both C libraries; the base is glibc (Debian), so the musl ones go.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@libsql/*-musl* \
 && npm cache clean --force \
 && rm -rf /tmp/* /root/.npm
COPY --from=build /src/dist dist
COPY scripts/image/healthcheck.mjs /usr/local/lib/herald/healthcheck.mjs
RUN ln -s /app/dist/cli/index.js /usr/local/bin/herald && chmod +x dist/cli/index.js

# Every setting can be given here or with `docker run -e` (README: Configuration).
# The shutdown timeout stays under `docker stop`'s default 10 s grace, so that
# Herald finishes its graceful shutdown before Docker would kill it.
ENV NODE_ENV=production \
    HERALD_HOST=0.0.0.0 \
    HERALD_PORT=6001 \
    HERALD_DATA_DIR=/data \
    HERALD_SHUTDOWN_TIMEOUT_MS=8000
# The webhook queue and the SQLite app store live here.
VOLUME ["/data"]
EXPOSE 6001
USER herald
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "/usr/local/lib/herald/healthcheck.mjs"]
# Herald is PID 1 (exec form, no shell in between): `docker stop` sends it
# SIGTERM, and it closes clients with 4200, flushes webhooks and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli/index.js"]
CMD ["start"]
