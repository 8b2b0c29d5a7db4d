# `assistant serve` in a container: built in one stage, run from a slim one with only the
# production dependencies, as a non-root user. No SoX or audio player: serving needs neither.
# The contract this file promises (reads PORT, listens on every interface, JSON log lines on
# stdout, /healthz, exits 0 within 10 s of SIGTERM) is tested by test/cli/deploy.test.ts,
# which runs this CMD with this ENV.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here, and the compiler needs no native modules.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` (the build) needs the compiler, which is not installed here; better-sqlite3 still needs its binary.
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The image's own user (uid 1000); a SQLite store goes under its home unless DATABASE_URL says otherwise.
USER node
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/assistant.js", "serve"]
