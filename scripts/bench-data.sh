#!/usr/bin/env bash
# Builds the large benchmark RDBs with a real redis-server (make bench-data):
#   bench-data/small-strings.rdb  ~20 M small strings (DEBUG POPULATE), ~600 MB
#   bench-data/mixed.rdb          ~2 M keys of every type and encoding with TTLs, ~1.2 GB
#   bench-data/shaped.rdb         1.94 M keys of another mix (scripts/benchgen -shape shaped), ~1.16 GB
# A file that exists is kept; each is written as <name>.tmp and renamed when complete.
# Usage: scripts/bench-data.sh [outdir]
#   KEYS_SMALL / KEYS_MIXED / KEYS_SHAPED   the sizes (keys)
#   SEED                                     benchgen's seed (default 1)
#   ONLY="shaped mixed"                      build only these files
#   BENCHGEN_FLAGS=-v1                       the first version's 2.17 GB mixed dataset
#   REDIS_SERVER / REDIS_CLI                 the server that builds the files (default: redis-server and
#                                            redis-cli on PATH, Debian's 7.0.15 here). The shaped file of
#                                            the issues was saved by Redis 7.4.1: REDIS_SERVER=$RDBKIT_SERVERS/redis-7.4.1/redis-server
#                                            REDIS_CLI=$RDBKIT_SERVERS/redis-7.4.1/redis-cli
set -euo pipefail
out=${1:-bench-data}
small=${KEYS_SMALL:-20000000}
mixed=${KEYS_MIXED:-2000000}
shaped=${KEYS_SHAPED:-1940000}
seed=${SEED:-1}
only=${ONLY:-small-strings mixed shaped}
server=${REDIS_SERVER:-redis-server}
rcli=${REDIS_CLI:-redis-cli}
for t in "$server" "$rcli"; do
  command -v "$t" >/dev/null || { echo "bench-data: $t not found (apt-get install redis-server redis-tools, or set REDIS_SERVER/REDIS_CLI)" >&2; exit 1; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
trap '"$rcli" -p $port shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
  --enable-debug-command yes --daemonize yes --logfile "$dir/log" --protected-mode yes
for i in $(seq 50); do "$rcli" -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "bench-data: $("$server" --version)"
cli() { "$rcli" -p "$port" "$@"; }
wanted() { case " $only " in *" $1 "*) [ ! -s "$out/$1.rdb" ];; *) false;; esac; }
# save NAME: SAVE, then move dump.rdb to NAME.rdb through NAME.rdb.tmp.
save() {
  cli save >/dev/null
  mv "$dir/dump.rdb" "$out/$1.rdb.tmp"
  mv "$out/$1.rdb.tmp" "$out/$1.rdb"
}
# pipe ARGS: benchgen ARGS into the server; fails unless every reply was read without error.
pipe() {
  local res
  res=$( (cd "$here" && go run ./scripts/benchgen -seed "$seed" "$@") | cli --pipe)
  echo "$res" | tail -1
  echo "$res" | grep -q 'errors: 0,' || { echo "bench-data: the server refused commands" >&2; exit 1; }
}
if wanted small-strings; then
  cli flushall >/dev/null
  cli debug populate "$small" key 16 >/dev/null
  save small-strings
fi
if wanted mixed; then
  cli flushall >/dev/null
  pipe -keys "$mixed" ${BENCHGEN_FLAGS:-}
  save mixed
fi
if wanted shaped; then
  cli flushall >/dev/null
  pipe -shape shaped -keys "$shaped"
  save shaped
fi
ls -l "$out"
