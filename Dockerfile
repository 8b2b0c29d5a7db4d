# `assistant serve` in a container: built in one stage, its production dependencies installed in
# another (with the tools a native module may need), and run from a slim stage that has neither
# the compiler nor the dev dependencies, as a non-root user. No SoX or audio player: serving
# needs neither. The contract this file promises (reads PORT, listens on every interface, JSON
# log lines on stdout, /healthz, exits 0 within 10 s of SIGTERM) is tested by
# test/cli/deploy.test.ts, which runs this CMD with this ENV.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here, and the compiler needs no native modules.
RUN npm ci --ignore-scripts
# Everything the build reads (sources, configs, build scripts such as the web page's bundler);
# .dockerignore keeps tests, local stores, secrets and old output out.
COPY . .
# dist/: the compiled server, and the web page's assets (dist/web/) when the build makes them.
RUN npm run build

FROM node:20-slim AS dependencies
WORKDIR /app
# better-sqlite3 12 downloads a prebuilt binary for this Node and platform; where none fits, it
# compiles, which needs these. They stay in this stage: the image that runs has no compiler.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# `prepare` (the build) is off: it needs the dev dependencies. better-sqlite3's own install runs in
# the rebuild, and the binary is loaded once so a broken one fails the build, not the first request.
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 \
  && node -e "new (require('better-sqlite3'))(':memory:').close()"

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=dependencies /app/node_modules ./node_modules
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The image's own user (uid 1000); a SQLite store goes under its home unless DATABASE_URL says otherwise.
USER node
ENV PORT=8080
EXPOSE 8080
# With node: the slim image has no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/assistant.js", "serve"]
