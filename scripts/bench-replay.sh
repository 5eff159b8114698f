#!/usr/bin/env bash
# Replay vs the real servers' load, side by side in one run (make bench-replay).
# Inputs: the RDBs in $RDBS (default bench-data/mixed.rdb bench-data/shaped.rdb) and the AOF set
# $AOFDIR (default bench-data/aof/appendonlydir, built by scripts/bench-aof.sh; skipped if absent).
# Servers: the redis-server on PATH (Debian's 7.0.15 here; REDIS_SERVER/REDIS_CLI override it) and,
# when RDBKIT_SERVERS is set, $RDBKIT_SERVERS/redis-7.4.1-libc/redis-server (Redis 7.4.1 built with
# libc malloc). A server that cannot read an input (7.0.15 reads RDB 10 at most) is shown as such.
# For each input:
#   - each server loads it: load time from its log ("DB loaded from disk: N seconds", summed over the
#     files of an AOF set), its CPU time when loading ended (INFO cpu, user + sys, startup included),
#     used_memory, and the wall and CPU time of DEBUG DIGEST;
#   - `rdbkit replay` (no digest) and `rdbkit replay --digest`: wall, user and system CPU and peak RSS
#     (GNU time); the digest must equal every server's DEBUG DIGEST.
# Ratios (above 1: rdbkit is faster): server load / replay, (server load + DEBUG DIGEST) / replay --digest,
# in wall time and in CPU time (the fairer figure on a loaded machine), and rdbkit's peak RSS / the
# server's used_memory.
set -euo pipefail
rdbs=${RDBS:-bench-data/mixed.rdb bench-data/shaped.rdb}
aofdir=${AOFDIR:-bench-data/aof/appendonlydir}
bin=${RDBKIT:-bin/rdbkit}
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || { echo "$bin not built (make build)" >&2; exit 1; }
servers=() clis=()
debian=${REDIS_SERVER:-$(command -v redis-server || true)}
if [ -n "$debian" ]; then servers+=("$debian"); clis+=("${REDIS_CLI:-redis-cli}"); fi
if [ -n "${RDBKIT_SERVERS:-}" ] && [ -x "$RDBKIT_SERVERS/redis-7.4.1-libc/redis-server" ]; then
  servers+=("$RDBKIT_SERVERS/redis-7.4.1-libc/redis-server"); clis+=("$RDBKIT_SERVERS/redis-7.4.1-libc/redis-cli")
fi
[ ${#servers[@]} -gt 0 ] || { echo "no redis-server (apt-get install redis-server, or set RDBKIT_SERVERS)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mb() { awk -v b="$1" 'BEGIN{printf "%.0f", b/1e6}'; }
server_name() { # path -> "redis 7.4.1 (libc)"
  "$1" --version | sed -E 's/.* v=([^ ]+) .* malloc=([^ ]+) .*/redis \1 (\2)/'
}
server_version() { "$1" --version | sed -E 's/.* v=([^ ]+) .*/\1/'; }

# server_load server cli kind path -> "loadsecs cpusecs used_memory digestsecs digestcpu digest", or "FAIL <why>"
server_load() {
  local server=$1 cli=$2 kind=$3 src=$4 d; d=$(mktemp -d)
  if [ "$kind" = rdb ]; then ln -s "$(realpath "$src")" "$d/dump.rdb"; args=(--appendonly no);
  else cp -r "$src" "$d/appendonlydir"; args=(--appendonly yes --appenddirname appendonlydir); fi
  "$server" --port "$port" --bind 127.0.0.1 --dir "$d" --save '' --daemonize yes --logfile "$d/log" \
    --enable-debug-command yes "${args[@]}" >/dev/null
  local up=""
  for i in $(seq 3000); do # up to 10 minutes on a loaded machine
    if "$cli" -p "$port" ping 2>/dev/null | grep -q PONG && \
       [ "$("$cli" -p "$port" info persistence | tr -d '\r' | awk -F: '/^loading:/{print $2}')" = 0 ]; then up=yes; break; fi
    grep -qE "Can't handle|Fatal error|Bad file format|Short read" "$d/log" && break
    sleep 0.2
  done
  if [ -z "$up" ]; then
    local why; why=$(grep -m1 -oE "Can't handle RDB format version [0-9]+|Fatal error[^.]*|Bad file format[^.]*|Short read[^.]*" "$d/log" || echo "did not start")
    "$cli" -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$d"; echo "FAIL ${why// /_}"; return
  fi
  local secs cpu cpu2 mem dig t0 t1
  scpu() { "$cli" -p "$port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/{s+=$2} END{print s}'; }
  secs=$(grep -oE 'DB loaded from (disk|append only file|base file|incr file)[^:]*: [0-9.]+ seconds' "$d/log" | awk '{s+=$(NF-1)} END{print s}')
  cpu=$(scpu)
  mem=$("$cli" -p "$port" info memory | tr -d '\r' | awk -F: '/^used_memory:/{print $2}')
  t0=$(date +%s.%N); dig=$("$cli" -p "$port" debug digest); t1=$(date +%s.%N); cpu2=$(scpu)
  "$cli" -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for i in $(seq 100); do "$cli" -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
  rm -rf "$d"
  echo "$secs $cpu $mem $(awk -v a="$t0" -v b="$t1" -v c="$cpu" -v d="$cpu2" 'BEGIN{print b-a, d-c}') $dig"
}

# rdbkit_run args... -> "wall user sys rssKiB digest" (digest "-" without --digest)
rdbkit_run() {
  local tf of; tf=$(mktemp); of=$(mktemp)
  /usr/bin/time -o "$tf" -f '%e %U %S %M' "$bin" replay "$@" >"$of" 2>/dev/null || { echo "FAIL rc=$?"; rm -f "$tf" "$of"; return; }
  local dig; dig=$(awk -F'\t' '/^digest:/{print $2}' "$of"); rm -f "$of"
  echo "$(tail -1 "$tf") ${dig:--}"; rm -f "$tf"
}

run() { # label kind path
  local label=$1 kind=$2 path=$3
  [ -e "$path" ] || { echo "$label: missing $path"; return; }
  local size; size=$(du -sbL "$path" | awk '{print $1}')
  if [ "$kind" = rdb ]; then cat "$path" >/dev/null; else cat "$path"/* >/dev/null; fi
  echo "== $label $path ($(mb "$size") MB)"
  local names=() versions=() loads=() i
  for i in "${!servers[@]}"; do
    names+=("$(server_name "${servers[$i]}")")
    versions+=("$(server_version "${servers[$i]}")")
    loads+=("$(server_load "${servers[$i]}" "${clis[$i]}" "$kind" "$path")")
  done
  local rr rd; rr=$(rdbkit_run "$path"); rd=$(rdbkit_run --digest "$path")
  # DEBUG DIGEST differs between releases (a sorted set's scores, for one); replay takes the release
  # from the RDB's redis-ver, so a server of another release is compared with an untimed
  # `replay --digest --server-version <its version>`.
  local filever=""
  [ "$kind" = rdb ] && filever=$("$bin" inspect "$path" | awk -F'\t' '$1=="aux:" && $2=="redis-ver"{print $3}')
  printf '  %-30s %9s %9s %12s %13s %12s\n' server "load wall" "load CPU" used_memory "DIGEST wall" "DIGEST CPU"
  for i in "${!names[@]}"; do
    read -r secs cpu mem dsecs dcpu dig <<<"${loads[$i]}"
    if [ "$secs" = FAIL ]; then printf '  %-30s cannot load: %s\n' "${names[$i]}" "${cpu//_/ }"; continue; fi
    printf '  %-30s %8.2fs %8.2fs %9s MB %12.2fs %11.2fs\n' "${names[$i]}" "$secs" "$cpu" "$(mb "$mem")" "$dsecs" "$dcpu"
  done
  printf '  %-30s %9s %9s %9s %12s\n' rdbkit wall user sys "peak RSS"
  local r w u s m dig
  for r in "replay:$rr" "replay --digest:$rd"; do
    read -r w u s m dig <<<"${r#*:}"
    if [ "$w" = FAIL ]; then printf '  %-30s failed (%s)\n' "${r%%:*}" "$u"; continue; fi
    printf '  %-30s %8.2fs %8.2fs %8.2fs %9s MB\n' "${r%%:*}" "$w" "$u" "$s" "$(mb $((m * 1024)))"
  done
  read -r w u s m _ <<<"$rr"
  local dw du ds dm ddig; read -r dw du ds dm ddig <<<"$rd"
  if [ "$w" = FAIL ] || [ "$dw" = FAIL ]; then return; fi
  for i in "${!names[@]}"; do
    read -r secs cpu mem dsecs dcpu dig <<<"${loads[$i]}"
    [ "$secs" = FAIL ] && continue
    local mydig=$ddig
    if [ "${versions[$i]}" != "$filever" ]; then
      mydig=$("$bin" replay --digest --server-version "${versions[$i]}" "$path" 2>/dev/null | awk -F'\t' '/^digest:/{print $2}')
    fi
    awk -v n="${names[$i]}" -v l="$secs" -v c="$cpu" -v mem="$mem" -v ds="$dsecs" -v dc="$dcpu" -v w="$w" -v u="$u" -v s="$s" -v m="$m" \
        -v dw="$dw" -v du="$du" -v dsy="$ds" -v eq="$([ "$dig" = "$mydig" ] && echo equal || echo "DIFFERS ($mydig vs $dig)")" 'BEGIN{
      printf "  vs %s: replay %.2fx wall, %.2fx CPU; replay --digest vs load + DEBUG DIGEST %.2fx wall, %.2fx CPU; peak RSS / used_memory %.2f; digest %s\n",
        n, l/w, c/(u+s), (l+ds)/dw, (c+dc)/(du+dsy), m*1024/mem, eq }'
  done
}

for f in $rdbs; do run RDB rdb "$f"; done
run AOF aof "$aofdir"
