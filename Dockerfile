# The cofi image: one image for the api (default command), the worker and the migrations.
#   api:        npx tsx api/main.ts           (default)
#   worker:     npx tsx worker/main.ts
#   migrations: npx tsx drizzle/cli.ts
# TypeScript runs through tsx (a runtime dependency), so there is no build step.
FROM node:20.20.2-bookworm-slim

# ffmpeg: LID clips the leading seconds of a call, and the daily batch denoises and cuts the IVR prompt.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Source stays owned by root and read-only to the process; only the data folders are writable.
COPY . .
RUN mkdir -p /var/lib/cofi/audio /var/lib/cofi/daily && chown -R node:node /var/lib/cofi
ENV AUDIO_DIR=/var/lib/cofi/audio \
  DAILY_DIR=/var/lib/cofi/daily

# The node image's unprivileged user (uid 1000).
USER node
EXPOSE 5064
CMD ["npx", "tsx", "api/main.ts"]
