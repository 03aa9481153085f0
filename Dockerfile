# Berth: a local Amazon ECR. Build: docker build -t berth .
# Run:   docker run -p 127.0.0.1:5080:5080 -v berth-data:/data berth
# Berth listens on 0.0.0.0 inside the container; publishing on 127.0.0.1 keeps it (the admin
# endpoints included) to this machine, where a plain -p 5080:5080 opens it on every host interface.
# Other containers calling the admin endpoints by name: -e BERTH_ALLOWED_HOSTS=<name>.

# ---- build: compile TypeScript (and the validators) to dist/ with the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build before the sources are copied in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build compiles the validators ahead of time (from the model) and bundles the CommonJS entry.
COPY api-models ./api-models
COPY scripts/build-validators.mjs scripts/build-cjs.mjs ./scripts/
RUN npm run build

# ---- runtime: production dependencies, compiled code and the service model only ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` needs TypeScript, which is not installed here (dist/ comes from the
# build stage). classic-level (LevelDB) loads its bundled prebuilt binary without install scripts.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY api-models ./api-models
COPY --from=build /app/dist ./dist

# The `node` user (uid 1000) comes with the base image. /data is created and owned by it before
# VOLUME, so a fresh named volume starts out writable by it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
ENV BERTH_DATA_DIR=/data BERTH_HOST=0.0.0.0
EXPOSE 5080

# Slim images have no curl: ask node itself. Follows BERTH_PORT if the port is changed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BERTH_PORT || 5080) + '/_berth/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/berth.js"]
CMD ["serve"]
