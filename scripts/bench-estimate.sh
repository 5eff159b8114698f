#!/usr/bin/env bash
# Measures what the estimate model predicts, with the real redis-server
# (make bench-estimate). For each dataset shape, at two sizes (S, and L = 2 × S):
#   - builds the data in a fresh server (DEBUG POPULATE, EVAL loops, or RESP
#     commands through redis-cli --pipe for the AOF sets), saves it;
#   - loads the file RUNS times, each in a fresh server, and keeps the
#     cheapest load: the CPU time the server spent loading (INFO cpu
#     used_cpu_user + used_cpu_sys), which on a busy machine is a steadier
#     measure of the load's cost than the wall time, and that wall time;
#     INFO used_memory and used_memory_rss after load, and latest_fork_usec
#     after a BGSAVE of the loaded data. An RDB file is loaded by DEBUG
#     RELOAD NOSAVE into a server started empty (CPU and wall time of that
#     call alone, without the server's start); an AOF set at startup (CPU
#     time until loaded minus the median CPU time of an empty server's start,
#     and the log's "DB loaded from append only file: N seconds");
#   - times a foreground SAVE of the loaded data (the RDB write).
# Then scripts/benchestimate fits the model's coefficients on the S sizes
# and predicts the L sizes (and the S sizes) from the files alone.
# Usage: scripts/bench-estimate.sh [outdir]   (SCALE=2 doubles every size; RUNS=3;
#   REDIS_SERVER=/path/to/redis-server; MEASURE_ONLY=1 skips the report;
#   SHAPES="name:keys ..." and AOFS="name:commands:CMD ..." choose the datasets;
#   REUSE=dir takes the datasets of an earlier run's outdir instead of building
#   them again, where it has them; SAVE=0 skips the timed SAVE)
set -euo pipefail
out=${1:-bench-data/estimate}
scale=${SCALE:-1}
runs=${RUNS:-3}
server=${REDIS_SERVER:-redis-server}
command -v "$server" >/dev/null || { echo "bench-estimate: $server not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=
pid=
stop() {
  if [ -n "$pid" ]; then redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; pid=; fi
}
trap 'stop; rm -rf "$work"' EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cli() { redis-cli -p "$port" "$@"; }
# start DIR [args...]: starts the server in DIR, waits until it answers and has loaded.
start() {
  local dir=$1; shift
  port=$(freeport)
  : >"$dir/log"
  "$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --daemonize no \
    --enable-debug-command yes --logfile "$dir/log" --protected-mode yes "$@" &
  pid=$!
  for _ in $(seq 600); do
    if cli ping 2>/dev/null | grep -q PONG && cli info persistence | grep -q '^loading:0'; then return 0; fi
    sleep 0.1
  done
  echo "bench-estimate: server did not start; log:" >&2; cat "$dir/log" >&2; exit 1
}
info() { cli info "$1" | tr -d '\r' | awk -F: -v k="$2" '$1==k {print $2}'; }
bgsave_fork() {
  cli bgsave >/dev/null
  for _ in $(seq 600); do [ "$(info persistence rdb_bgsave_in_progress)" = 0 ] && break; sleep 0.1; done
  info stats latest_fork_usec
}
now_ms() { date +%s%3N; }
cpu() { cli info cpu | tr -d '\r' | awk -F: '$1=="used_cpu_user"||$1=="used_cpu_sys" {s+=$2} END {printf "%.3f", s}'; }
# keep VAR VALUE: VAR = min(VAR, VALUE)
keep() { if [ -z "${!1}" ] || awk -v a="$2" -v b="${!1}" 'BEGIN{exit !(a<b)}'; then printf -v "$1" '%s' "$2"; fi; }

# gen NAME N: fills the running (empty) server with shape NAME, N keys. The
# server runs with its compiled-in encoding limits (Redis 7.0: 512 hash fields
# and 128 sorted-set members in a listpack, 512 integers in an intset), so the
# hashtable hashes have 600 fields.
gen() {
  local shape=$1 n=$2
  case $shape in
  strings-small) cli debug populate "$n" key 16 >/dev/null ;;
  strings-large) cli debug populate "$n" key 2048 >/dev/null ;;
  hash-listpack) cli eval "for i=1,tonumber(ARGV[1]) do local k='h:'..i for j=1,16 do redis.call('HSET',k,'field:'..j,'value:'..(i*j)) end end" 0 "$n" >/dev/null ;;
  hash-hashtable) cli eval "for i=1,tonumber(ARGV[1]) do local k='H:'..i for j=1,600 do redis.call('HSET',k,'field:'..j,'value:'..(i*j)) end end" 0 "$n" >/dev/null ;;
  list-quicklist) cli eval "for i=1,tonumber(ARGV[1]) do local k='l:'..i for j=1,500 do redis.call('RPUSH',k,'item:'..(i*j)) end end" 0 "$n" >/dev/null ;;
  set-intset) cli eval "for i=1,tonumber(ARGV[1]) do local k='s:'..i for j=1,100 do redis.call('SADD',k,i*1000+j) end end" 0 "$n" >/dev/null ;;
  set-hashtable) cli eval "for i=1,tonumber(ARGV[1]) do local k='S:'..i for j=1,200 do redis.call('SADD',k,'member:'..(i*j)) end end" 0 "$n" >/dev/null ;;
  zset-listpack) cli eval "for i=1,tonumber(ARGV[1]) do local k='z:'..i for j=1,16 do redis.call('ZADD',k,i+j/7,'m:'..j) end end" 0 "$n" >/dev/null ;;
  zset-skiplist) cli eval "for i=1,tonumber(ARGV[1]) do local k='Z:'..i for j=1,200 do redis.call('ZADD',k,i+j/7,'member:'..j) end end" 0 "$n" >/dev/null ;;
  stream-groups) cli eval "for i=1,tonumber(ARGV[1]) do local k='x:'..i for j=1,200 do redis.call('XADD',k,'*','sensor',j,'reading',i*j) end redis.call('XGROUP','CREATE',k,'g','0') redis.call('XREADGROUP','GROUP','g','c','COUNT',50,'STREAMS',k,'>') end" 0 "$n" >/dev/null ;;
  *) echo "bench-estimate: unknown shape $shape" >&2; exit 1 ;;
  esac
}
# resp N CMD: N commands of kind CMD in RESP on stdout.
resp() {
  awk -v n="$1" -v c="$2" 'function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
  BEGIN { for (i = 1; i <= n; i++) {
    if (c == "SET") { printf "*3\r\n"; bulk("SET"); bulk("key:" i); bulk("value:" i "-0123456789") }
    else if (c == "HSET") { printf "*4\r\n"; bulk("HSET"); bulk("hash:" (i % 5000)); bulk("field:" i); bulk("value:" i) }
    else if (c == "XADD") { printf "*7\r\n"; bulk("XADD"); bulk("stream:" (i % 500)); bulk("*"); bulk("sensor"); bulk(i % 97); bulk("reading"); bulk(i) }
  } }'
}

shapes=${SHAPES-"strings-small:150000 strings-large:12000 hash-listpack:20000 hash-hashtable:200 list-quicklist:300 set-intset:3000 set-hashtable:600 zset-listpack:15000 zset-skiplist:600 stream-groups:300"}
aofs=${AOFS-"aof-set:300000:SET aof-hset:200000:HSET aof-xadd:150000:XADD"}
tsv=$out/measurements.tsv
printf 'name\tsize\tkind\tpath\tload_s\tload_cpu_s\tused_memory\tused_memory_empty\trss\tfork_usec\tsave_ms\n' >"$tsv"
# Memory of an empty server (the model's base) and the median CPU time of
# its start (subtracted from an AOF set's load at startup).
mkdir -p "$work/empty"; starts=
for _ in 1 2 3; do start "$work/empty"; empty=$(info memory used_memory); starts="$starts $(cpu)"; stop; done
cpu0=$(printf '%s\n' $starts | sort -n | sed -n 2p)
echo "empty server used_memory: $empty, CPU at start${starts} s (median ${cpu0} s)"
reuse=${REUSE:-}

for spec in $shapes; do
  shape=${spec%%:*}; base=${spec#*:}
  for size in S L; do
    n=$((base * scale)); [ $size = L ] && n=$((n * 2))
    dir=$work/$shape-$size; rm -rf "$dir"; mkdir -p "$dir"
    if [ -n "$reuse" ] && [ -f "$reuse/$shape-$size.rdb" ]; then cp "$reuse/$shape-$size.rdb" "$dir/dump.rdb"
    else start "$dir"; gen "$shape" "$n"; cli save >/dev/null; stop; fi
    best=; bestcpu=; mem=; rss=; fork=
    for _ in $(seq "$runs"); do
      mv "$dir/dump.rdb" "$dir/sample.rdb"
      start "$dir"
      c0=$(cpu); mv "$dir/sample.rdb" "$dir/dump.rdb"
      t0=$(now_ms); cli debug reload nosave >/dev/null; t1=$(now_ms)
      keep bestcpu "$(awk -v a="$(cpu)" -v b="$c0" 'BEGIN{printf "%.6f", a-b}')"
      keep best "$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", (a-b)/1000}')"
      mem=$(info memory used_memory); rss=$(info memory used_memory_rss)
      keep fork "$(bgsave_fork)"
      stop
    done
    t0=0; t1=0; [ "${SAVE:-1}" = 0 ] || { start "$dir"; t0=$(now_ms); cli save >/dev/null; t1=$(now_ms); stop; }
    cp "$dir/dump.rdb" "$out/$shape-$size.rdb"
    printf '%s\t%s\trdb\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shape" $size "$out/$shape-$size.rdb" "$best" "$bestcpu" "$mem" "$empty" "$rss" "$fork" $((t1 - t0)) >>"$tsv"
    echo "$shape $size: $n keys, load ${best}s (cpu ${bestcpu}s), used_memory $mem, fork ${fork}us, save $((t1 - t0))ms"
  done
done

for spec in $aofs; do
  IFS=: read -r shape base cmd <<<"$spec"
  for size in S L; do
    n=$((base * scale)); [ $size = L ] && n=$((n * 2))
    dir=$work/$shape-$size; rm -rf "$dir"; mkdir -p "$dir"
    if [ -n "$reuse" ] && [ -d "$reuse/$shape-$size" ]; then cp -r "$reuse/$shape-$size" "$dir/appendonlydir"
    else
      start "$dir" --appendonly yes --aof-use-rdb-preamble no --appendfsync no
      resp "$n" "$cmd" | cli --pipe >/dev/null
      stop
    fi
    best=; bestcpu=; mem=; rss=; fork=
    for _ in $(seq "$runs"); do
      start "$dir" --appendonly yes --aof-use-rdb-preamble no --appendfsync no
      keep best "$(grep -o 'DB loaded from append only file: [0-9.]* seconds' "$dir/log" | awk '{print $7}')"
      keep bestcpu "$(awk -v a="$(cpu)" -v b="$cpu0" 'BEGIN{printf "%.6f", a-b}')"
      mem=$(info memory used_memory); rss=$(info memory used_memory_rss)
      keep fork "$(bgsave_fork)"
      stop
    done
    rm -rf "$out/$shape-$size"; cp -r "$dir/appendonlydir" "$out/$shape-$size"
    printf '%s\t%s\taof\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$shape" $size "$out/$shape-$size" "$best" "$bestcpu" "$mem" "$empty" "$rss" "$fork" >>"$tsv"
    echo "$shape $size: $n commands, load ${best}s (cpu ${bestcpu}s), used_memory $mem, fork ${fork}us"
  done
done
echo "measurements: $tsv"
[ -n "${MEASURE_ONLY:-}" ] && exit 0
cd "$here" && go run ./scripts/benchestimate -measurements "$tsv" -coefficients "$out/coefficients.json"
