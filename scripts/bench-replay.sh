#!/usr/bin/env bash
# Replay throughput vs the real server's load time, side by side (issue #4):
#   - an RDB: bench-data/quarter/mixed.rdb (or $RDB), >= 500 MB
#   - an AOF set: bench-data/aof/appendonlydir (or $AOFDIR; scripts/bench-aof.sh builds it)
# For each: redis-server loads a copy (time from its "DB loaded from ..." log
# line, used_memory and DEBUG DIGEST from INFO), then `rdbkit replay --digest`
# (wall time and peak RSS from GNU time). Prints the ratio server/rdbkit.
set -euo pipefail
rdb=${RDB:-bench-data/quarter/mixed.rdb}
aofdir=${AOFDIR:-bench-data/aof/appendonlydir}
bin=${RDBKIT:-bin/rdbkit}
for t in redis-server redis-cli; do command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

server_load() { # kind path -> "seconds used_memory digest"
  local kind=$1 src=$2 d; d=$(mktemp -d)
  if [ "$kind" = rdb ]; then cp "$src" "$d/dump.rdb"; args=(--appendonly no);
  else cp -r "$src" "$d/appendonlydir"; args=(--appendonly yes --appenddirname appendonlydir); fi
  redis-server --port "$port" --bind 127.0.0.1 --dir "$d" --save '' --daemonize yes --logfile "$d/log" \
    --enable-debug-command yes "${args[@]}" >/dev/null
  for i in $(seq 600); do
    if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && \
       [ "$(redis-cli -p "$port" info persistence | tr -d '\r' | awk -F: '/^loading:/{print $2}')" = 0 ]; then break; fi
    sleep 0.2
  done
  local secs mem dig
  secs=$(grep -oE 'DB loaded from (disk|append only file|base file|incr file)[^:]*: [0-9.]+ seconds' "$d/log" | awk '{s+=$(NF-1)} END{print s}')
  mem=$(redis-cli -p "$port" info memory | tr -d '\r' | awk -F: '/^used_memory:/{print $2}')
  dig=$(redis-cli -p "$port" debug digest)
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$d"
  echo "$secs $mem $dig"
}

run() { # label kind path
  local label=$1 kind=$2 path=$3
  [ -e "$path" ] || { echo "$label: missing $path"; return; }
  local size; size=$(du -sb "$path" | awk '{print $1}')
  read -r ssecs smem sdig < <(server_load "$kind" "$path")
  local tf; tf=$(mktemp)
  # Timed: the replay itself, as the server's load (no digest computation).
  /usr/bin/time -o "$tf" -f '%e %M' "$bin" replay "$path" >/dev/null 2>&1
  read -r rsecs rrss < "$tf"; rm -f "$tf"
  # Untimed: the digest must equal the server's.
  local out; out=$("$bin" replay --digest "$path" 2>/dev/null | awk -F'\t' '/^digest:/{print $2}')
  printf '%-5s %7.0f MB  server load %6.2f s used_memory %6.0f MB | rdbkit replay %6.2f s peak RSS %6.0f MB | ratio %.2f | memory ratio %.2f | digest %s\n' \
    "$label" "$(awk "BEGIN{print $size/1e6}")" "$ssecs" "$(awk "BEGIN{print $smem/1e6}")" "$rsecs" "$(awk "BEGIN{print $rrss/1e3}")" \
    "$(awk "BEGIN{print $ssecs/$rsecs}")" "$(awk "BEGIN{print $rrss*1024/$smem}")" "$([ "$out" = "$sdig" ] && echo equal || echo "DIFFERS ($out vs $sdig)")"
}
run RDB rdb "$rdb"
run AOF aof "$aofdir"
