# One image for the gateway, the authority stand-in, migrations and gate-sim.
# Compiled once in the build stage; the runtime stage holds dist and production dependencies only
# (no TypeScript, no ts-node, no path hook: nest build rewrites the @app/* aliases).
#   docker build -t one-code-ride .
#   docker run one-code-ride                                   # the gateway (needs its settings)
#   docker run one-code-ride node dist/apps/health-authority/src/main.js
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY migrations migrations
COPY gate-sim gate-sim
COPY scripts scripts
RUN npx nest build

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
  # typeorm names ts-node as an optional peer, so npm keeps it (and TypeScript) even with
  # --omit=dev; dist never loads them.
  && rm -rf node_modules/typescript node_modules/ts-node node_modules/.bin/ts* \
  && node -e "require('typeorm'); require('@nestjs/core')"

FROM ${NODE_IMAGE}
# Production refuses development defaults at boot; a local stack (compose) says development.
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY apps/console apps/console
COPY package.json ./
# Development keys (compose) are written here, by the unprivileged user.
RUN mkdir -p .data/keys && chown -R node:node .data
USER node
# 3000 gateway API, 9464 gateway admin (Prometheus), 3100 authority stand-in.
EXPOSE 3000 9464 3100
CMD ["node", "dist/apps/gateway/src/main.js"]
