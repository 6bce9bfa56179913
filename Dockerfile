# lazydb as a container. Build: docker build -t lazydb .   Run: see docker-compose.yml.
# Two stages so the compilers needed by a native fallback build (better-sqlite3 when no
# prebuilt binary fits) never reach the runtime image.

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
# Sources are copied one by one (no .dockerignore needed): never node_modules, data or caches.
COPY tsconfig.json ./
COPY server ./server
COPY admin ./admin
# Builds the web admin when the project defines a build script; a no-op otherwise.
RUN npm run build --if-present \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    LAZYDB_DATA_DIR=/app/data \
    LAZYDB_SCHEMA_CACHE_DIR=/app/data/schema-cache
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# The registry, the secret key file (if LAZYDB_SECRET_KEY is unset), the demo database
# and the schema cache all live here: keep it on a volume.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["npm", "start"]
