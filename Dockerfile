# syntax=docker/dockerfile:1.7
#
# Both deployables from one build graph; pick one with --target:
#
#   docker build --target bandit-service  -t ghcr.io/ekenheim/bandit-service:<sha>  .
#   docker build --target bandit-pipeline -t ghcr.io/ekenheim/bandit-pipeline:<sha> .
#
# Stages: toolchain (node + a C++ toolchain for native addons) → deps (production
# node_modules, native addons compiled against this very Node and glibc) and build
# (all dependencies, TypeScript compiled to dist/) → runtime (node:20-slim, no compiler,
# no npm cache, root-owned read-only app, non-root user) → one final stage per image.

FROM node:20-slim AS toolchain
# better-sqlite3 compiles from source when no prebuilt binary matches (node-gyp needs
# python3, make, g++); @duckdb/node-api ships prebuilt glibc bindings as npm packages.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
# npm 11 honours package.json "allowScripts": only the approved install scripts run.
RUN npm install -g npm@11.19.1 --no-audit --no-fund
ENV npm_config_update_notifier=false
WORKDIR /app

FROM toolchain AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY proto ./proto
COPY src ./src
RUN npm run build

FROM node:20-slim AS runtime
LABEL org.opencontainers.image.source="https://github.com/ekenheim/bandit" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    BANDIT_DATA_DIR=/data \
    HOME=/tmp
WORKDIR /app
# The project root (package.json names it; non-TypeScript assets are found from it).
COPY package.json ./
COPY proto ./proto
COPY --from=deps /app/node_modules ./node_modules
# dist/ also holds the assets nest copies (proto, Lua scripts, dashboard static files).
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown 1000:1000 /data
# the `node` user of the base image, by number so Kubernetes can check runAsNonRoot
USER 1000:1000
# `bandit <command>`
ENTRYPOINT ["node", "/app/dist/main.js"]

FROM runtime AS bandit-service
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["serve"]

# The Dagster code location. The K8sRunLauncher starts run pods from this image with
# args `dagster api execute_run <ExecuteRunArgs>` after the entry point, i.e.
# `bandit dagster api execute_run …`.
FROM runtime AS bandit-pipeline
EXPOSE 4000
CMD ["code-server", "--port", "4000"]
