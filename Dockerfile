# syntax=docker/dockerfile:1
# mailguard for the long-running modes: `mailguard proxy` (the default command here) in front of
# a real relay. Multi-stage: the build stage has the dev dependencies and compiles dist/; the
# image keeps production dependencies only and runs as the unprivileged `node` user.
#   docker build -t mailguard .
#   docker run --rm -p 127.0.0.1:2525:2525 mailguard proxy --listen 0.0.0.0:2525 \
#     --allow-unauthenticated --upstream smtp://relay.corp.example:25 --internal-domain corp.example
# deploy/docker-compose.yml puts it in front of Postfix.

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
RUN npx --no-install tsup && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
USER node
# The proxy's port inside the container (pass --listen 0.0.0.0:2525: 127.0.0.1 is unreachable from outside).
EXPOSE 2525
ENTRYPOINT ["node", "/app/bin/mailguard.js"]
CMD ["proxy", "--help"]
