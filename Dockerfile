# slack-analyst container image.
#   docker build -t slack-analyst .
#   docker run --env-file .env -v slack-analyst-data:/data -p 3000:3000 slack-analyst
# State (the SQLite database and its WAL) lives in the /data volume; everything else is disposable.

# --- build: dependencies (with a C++ toolchain for better-sqlite3 if its prebuilt binary can't be fetched),
# --- compile TypeScript, then drop dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies and compiled JavaScript only, as an unprivileged user.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir /data \
  && chown node:node /data
WORKDIR /app
ENV NODE_ENV=production \
    DATABASE_PATH=/data/slack-analyst.db \
    PORT=3000
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini is PID 1: it forwards SIGTERM/SIGINT to node and reaps zombies; node shuts down gracefully.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
