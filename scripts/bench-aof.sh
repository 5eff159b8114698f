#!/usr/bin/env bash
# Builds a ~550 MB multi-part AOF with a real redis-server (RESP base from
# BGREWRITEAOF with aof-use-rdb-preamble no, then more writes for the incr
# file) in bench-data/aof/, and times `rdbkit verify` against
# `redis-check-aof` on its manifest, side by side, with MB/s and peak RSS.
# Usage: scripts/bench-aof.sh [dir]   (default bench-data/aof)
# Needs redis-server, redis-cli, redis-benchmark, redis-check-aof (redis-tools)
# and GNU time (apt-get install time). BASE_KEYS and INCR_SETS size the data.
set -euo pipefail
dir=${1:-bench-data/aof}
bin=${RDBKIT:-bin/rdbkit}
base_keys=${BASE_KEYS:-3000000}
incr_sets=${INCR_SETS:-1000000}
for t in redis-server redis-cli redis-benchmark redis-check-aof; do
  command -v $t >/dev/null || { echo "$t not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || go build -o "$bin" ./cmd/rdbkit

manifest="$dir/appendonlydir/appendonly.aof.manifest"
if [ ! -s "$manifest" ]; then
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  port=$(( 20000 + RANDOM % 20000 ))
  redis-server --port $port --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync no \
    --aof-use-rdb-preamble no --save '' --enable-debug-command yes --daemonize no \
    --logfile "$dir/redis.log" &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  until redis-cli -p $port ping >/dev/null 2>&1; do sleep 0.1; done
  redis-cli -p $port debug populate "$base_keys" key 100 >/dev/null
  redis-cli -p $port bgrewriteaof >/dev/null
  while [ "$(redis-cli -p $port info persistence | tr -d '\r' | awk -F: '$1=="aof_rewrite_in_progress"{print $2}')" != 0 ] ||
        [ "$(redis-cli -p $port info persistence | tr -d '\r' | awk -F: '$1=="aof_rewrite_scheduled"{print $2}')" != 0 ]; do sleep 0.5; done
  redis-benchmark -p $port -q -t set -n "$incr_sets" -r 10000000 -d 100 -P 64 >/dev/null
  redis-cli -p $port shutdown nosave >/dev/null || true
  wait $pid || true
  trap - EXIT
fi
ls -l "$dir/appendonlydir"
size=$(du -cb "$dir"/appendonlydir/*.aof | tail -1 | cut -f1)
cat "$dir"/appendonlydir/* > /dev/null # warm the page cache for both tools alike
runs=${RUNS:-2}
tmp=$(mktemp)
for tool in rdbkit redis-check-aof; do
  best=""
  for i in $(seq "$runs"); do
    if [ $tool = rdbkit ]; then cmd=("$bin" verify --quiet "$dir/appendonlydir"); else cmd=(redis-check-aof "$manifest"); fi
    /usr/bin/time -o "$tmp" -f '%e %M' "${cmd[@]}" >/dev/null 2>&1 || { echo "$tool failed" >&2; exit 1; }
    out=$(tail -1 "$tmp"); t=${out% *}; rss=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; bestrss=$rss; fi
  done
  printf '%-16s %7.1f MB  %8.2f s  %7.0f MB/s  peak RSS %7d KiB\n' "$tool" "$(awk "BEGIN{print $size/1e6}")" "$best" \
    "$(awk "BEGIN{print $size/1e6/($best>0?$best:0.01)}")" "$bestrss"
done
rm -f "$tmp"
