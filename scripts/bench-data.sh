#!/usr/bin/env bash
# Builds the two large benchmark RDBs with a real redis-server (make bench-data):
#   bench-data/small-strings.rdb  ~20 M small strings (DEBUG POPULATE), ~700 MB
#   bench-data/mixed.rdb          ~2 M keys of every type and encoding with TTLs, ~1 GB
# Usage: scripts/bench-data.sh [outdir]   (KEYS_SMALL / KEYS_MIXED override the sizes;
#   BENCHGEN_FLAGS=-v1 builds the first version's 2.17 GB mixed dataset)
set -euo pipefail
out=${1:-bench-data}
small=${KEYS_SMALL:-20000000}
mixed=${KEYS_MIXED:-2000000}
command -v redis-server >/dev/null || { echo "bench-data: redis-server not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
trap 'redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
  --enable-debug-command yes --daemonize yes --logfile "$dir/log" --protected-mode yes
for i in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
cli() { redis-cli -p "$port" "$@"; }
if [ ! -s "$out/small-strings.rdb" ]; then
  cli flushall >/dev/null
  cli debug populate "$small" key 16 >/dev/null
  cli save >/dev/null
  mv "$dir/dump.rdb" "$out/small-strings.rdb"
fi
if [ ! -s "$out/mixed.rdb" ]; then
  cli flushall >/dev/null
  (cd "$here" && go run ./scripts/benchgen -keys "$mixed" ${BENCHGEN_FLAGS:-}) | cli --pipe >/dev/null
  cli save >/dev/null
  mv "$dir/dump.rdb" "$out/mixed.rdb"
fi
ls -l "$out"
