#!/bin/sh
# Refuse to start without the env the contract promises (seed section 3: a missing DATABASE_URL
# must fail loudly, not fall back to localhost). TERM is trapped so a stop takes milliseconds.
set -eu
: "${DATABASE_URL:?DATABASE_URL is not set: the stack's env contract must provide it}"
: "${PORT:=8080}"
trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
httpd -f -p "0.0.0.0:${PORT}" -h /www &
child=$!
wait "$child"
