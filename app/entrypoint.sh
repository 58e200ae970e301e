#!/bin/sh
# Refuse to start without the env the app declares in .env.example (a missing DATABASE_URL must
# fail loudly, not fall back to localhost). TERM is trapped so a stop takes milliseconds.
set -eu
: "${DATABASE_URL:?DATABASE_URL is not set: the stack's env map must provide it}"
: "${PORT:=8080}"
echo "api: starting in ${APP_ENV:-development} (log level ${LOG_LEVEL:-info}) on port ${PORT}" >&2
trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
httpd -f -p "0.0.0.0:${PORT}" -h /www &
child=$!
wait "$child"
