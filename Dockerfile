# Gaizao: the bot, API and jobs in one process. Runs TypeScript through tsx's loader.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm ci's postinstall applies these (patch-package): without them a PostgreSQL restart can kill the process.
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node itself is PID 1 (tsx as a loader, not a parent process), so SIGTERM reaches Gaizao directly and it
# shuts down gracefully within 10 s.
CMD ["node", "--import", "tsx", "main.ts"]
