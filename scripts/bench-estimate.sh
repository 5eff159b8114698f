#!/usr/bin/env bash
# Measures what the estimate model predicts, with a real server (make
# bench-estimate). For each dataset shape, at two sizes (S, and L = 2 × S):
#   - builds the data in a fresh server (DEBUG POPULATE, EVAL loops, or RESP
#     commands through redis-cli --pipe for the AOF sets), saves it;
#   - then, in RUNS rounds (each dataset loaded once per round, so that a slow
#     stretch of the machine touches one load of several datasets rather
#     than every load of one), loads the files, each into a fresh server started empty, by
#     DEBUG RELOAD NOSAVE (an RDB file) or DEBUG LOADAOF (an AOF set, its
#     directory put in place of the empty server's): the server's CPU time
#     for that call alone (INFO cpu used_cpu_user + used_cpu_sys; on a busy
#     machine a steadier measure of the load's cost than the wall time) and
#     its wall time, keeping the cheapest; INFO used_memory and
#     used_memory_rss after the load; latest_fork_usec of FORKS BGSAVEs of
#     the loaded data per load: their lower quartile is kept (a busy machine
#     adds to a fork, and the least of 15 was at times a lucky one, below
#     the least of a dataset of half the memory: the lower quartile is robust
#     to both); their median is shown beside;
#   - times a foreground SAVE of the loaded data (the RDB write), once, when
#     the dataset is built.
# Then scripts/benchestimate fits the model's coefficients on the S sizes of
# the one-class and one-command shapes and predicts every dataset from its
# files alone: the L sizes, the shapes it did not fit on (a mix, an
# RDB-preamble AOF set, an incr-only log), and the bench files of make
# bench-data (BENCH_DATA) when they are there.
#
# Usage: scripts/bench-estimate.sh [outdir]
#   SCALE=1      multiplies every size (fractions allowed: SCALE=0.05 is a smoke run)
#   RUNS=5       rounds of loads, one load of each dataset per round (the least kept: a CPU time on
#                a VM has a slow mode 30-45 % above the fast one, at random, lasting up to tens of
#                seconds); FORKS=3 BGSAVEs per load
#   PIN=N        runs the servers on CPU N only (taskset; default: where the scheduler puts them)
#   THP=1        runs the servers with transparent huge pages (disable-thp no), which needs
#                /sys/kernel/mm/transparent_hugepage/enabled set to always (as root; set it back
#                after): the forks measured are then those with THP, and scripts/benchestimate
#                fits and checks the THP fork line (each load's AnonHugePages is recorded)
#   REDIS_SERVER=/path/to/redis-server (default: redis-server on PATH); the
#                redis-cli (or valkey-cli) next to it is used, else REDIS_CLI, else
#                redis-cli on PATH
#   BENCH_DATA=dir  where make bench-data wrote small-strings.rdb, mixed.rdb,
#                shaped.rdb and aof/appendonlydir (default: bench-data; empty: skip);
#                BENCH_RUNS=2 loads of each (in the first rounds); BENCH_SAVE=1 also
#                times a foreground SAVE of each (not by default: a minute each)
#   SHAPES="name:keys ..." and AOFS="name:commands:CMD[:keys[:layout]] ..." choose
#                the datasets; REUSE=dir takes an earlier run's datasets; SAVE=0
#                skips the timed SAVE; MEASURE_ONLY=1 skips the report
set -euo pipefail
out=${1:-bench-data/estimate}
scale=${SCALE:-1}
runs=${RUNS:-5}
forks=${FORKS:-3}
server=${REDIS_SERVER:-redis-server}
# PIN=N runs every server on CPU N alone (taskset): on the 2-vCPU VM of
# 2026-12-07 one vCPU ran the same load 45 % slower than the other
# (aof-incr-only L on 7.0.15: 0.79-0.81 s on CPU 0, 0.49-0.56 s on CPU 1,
# three loads each, twice), and the scheduler's choice between them made
# the "slow mode" of the loads.
pin=
if [ -n "${PIN:-}" ]; then
  command -v taskset >/dev/null || { echo "bench-estimate: PIN needs taskset (util-linux)" >&2; exit 1; }
  pin="taskset -c $PIN"
fi
command -v "$server" >/dev/null || { echo "bench-estimate: $server not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
server=$(command -v "$server")
# THP=1: the server's own default is disable-thp yes (Redis src/server.c,
# prctl PR_SET_THP_DISABLE), so it gets huge pages only when told not to
# disable them and the kernel gives them without madvise.
thp_args=()
if [ "${THP:-0}" = 1 ]; then
  grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || {
    echo "bench-estimate: THP=1 needs transparent huge pages set to always (now: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo 'no THP')): echo always > /sys/kernel/mm/transparent_hugepage/enabled" >&2; exit 1; }
  thp_args=(--disable-thp no)
fi
bindir=$(dirname "$server")
if [ -n "${REDIS_CLI:-}" ]; then rcli=$REDIS_CLI
elif [ -x "$bindir/redis-cli" ]; then rcli=$bindir/redis-cli
elif [ -x "$bindir/valkey-cli" ]; then rcli=$bindir/valkey-cli
else rcli=redis-cli; fi
command -v "$rcli" >/dev/null || { echo "bench-estimate: $rcli not found (set REDIS_CLI)" >&2; exit 1; }
build=$("$server" --version)
flavor=$(echo "$build" | awk '{print tolower($1)}')
version=$(echo "$build" | sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p')
release=$flavor-$(echo "$version" | cut -d. -f1,2)
# ver_ge A.B: the server's version is A.B or later.
ver_ge() { awk -v v="$version" -v w="$1" 'BEGIN{split(v,a,".");split(w,b,".");exit !(a[1]>b[1]||(a[1]==b[1]&&a[2]>=b[2]))}'; }
ver_ge 7.0 || { echo "bench-estimate: $build: needs Redis or Valkey 7.0+ (multi-part AOF, DEBUG LOADAOF)" >&2; exit 1; }
echo "server: $build ($server, $rcli), release $release${PIN:+, pinned to CPU $PIN}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DATA-$here/bench-data}
work=$(mktemp -d)
port=
pid=
stop() {
  if [ -n "$pid" ]; then "$rcli" -p "$port" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null; pid=; fi
}
trap 'stop; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cli() { "$rcli" -p "$port" "$@"; }
# start DIR [args...]: starts the server in DIR, waits until it answers and has loaded.
start() {
  local dir=$1; shift
  port=$(freeport)
  : >"$dir/log"
  $pin "$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --daemonize no \
    --enable-debug-command yes --logfile "$dir/log" --protected-mode yes --auto-aof-rewrite-percentage 0 "${thp_args[@]}" "$@" &
  pid=$!
  for _ in $(seq 1200); do
    if cli ping 2>/dev/null | grep -q PONG && cli info persistence | grep -q '^loading:0'; then return 0; fi
    sleep 0.05
  done
  echo "bench-estimate: server did not start; log:" >&2; cat "$dir/log" >&2; exit 1
}
info() { cli info "$1" | tr -d '\r' | awk -F: -v k="$2" '$1==k {print $2}'; }
# hugebytes: the running server's anonymous memory in transparent huge pages
# (AnonHugePages of /proc/PID/smaps_rollup), bytes; 0 where THP is off.
hugebytes() { awk '$1=="AnonHugePages:" {print $2*1024; f=1} END {if (!f) print 0}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0; }
# forks [N]: N (FORKS) BGSAVEs of the loaded data, one latest_fork_usec per
# line. The parent sets it as soon as fork() returns, before its reply, so
# the child, which would write the whole dataset, is killed (by its PID, a
# child of the server's) and the next BGSAVE starts when the parent has
# reaped it.
forks() {
  local c
  for _ in $(seq "${1:-$forks}"); do
    cli bgsave >/dev/null
    info stats latest_fork_usec
    for c in $(ps -o pid= --ppid "$pid"); do kill -9 "$c" 2>/dev/null || true; done
    for _ in $(seq 3000); do [ "$(info persistence rdb_bgsave_in_progress)" = 0 ] && break; sleep 0.01; done
  done
}
now_ms() { date +%s%3N; }
cpu() { cli info cpu | tr -d '\r' | awk -F: '$1=="used_cpu_user"||$1=="used_cpu_sys" {s+=$2} END {printf "%.6f", s}'; }
# lt A B: A < B, as numbers.
lt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a<b)}'; }
# quartile: the lower quartile of numbers, one per line (the (n-1)/4-th of
# the sorted n, from 0, rounded down: the least of up to 4).
quartile() { sort -n | awk '{v[NR]=$1} END {print (NR ? v[1+int((NR-1)/4)] : 0)}'; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'; }
# size BASE S|L: BASE × SCALE keys or commands, twice that for L, at least 1.
size() { awk -v b="$1" -v s="$scale" -v l="$2" 'BEGIN{n=int(b*s*(l=="L"?2:1)+0.5); print (n<1?1:n)}'; }

# gen NAME N: fills the running (empty) server with shape NAME, N keys. The
# server runs with its compiled-in encoding limits (512 hash fields and 128
# sorted-set members in a listpack, 512 integers in an intset), so the
# hashtable hashes have 600 fields.
gen() {
  local shape=$1 n=$2
  case $shape in
  strings-small) cli debug populate "$n" key 16 >/dev/null ;;
  strings-large) cli debug populate "$n" key 2048 >/dev/null ;;
  strings-many) cli debug populate "$n" key 16 >/dev/null ;;
  hash-listpack) cli eval "for i=1,tonumber(ARGV[1]) do local k='h:'..i for j=1,16 do redis.call('HSET',k,'field:'..j,'value:'..(i*j)) end end" 0 "$n" >/dev/null ;;
  hash-hashtable) cli eval "for i=1,tonumber(ARGV[1]) do local a={} for j=1,600 do a[2*j-1]='field:'..j a[2*j]='value:'..(i*j) end redis.call('HSET','H:'..i,unpack(a)) end" 0 "$n" >/dev/null ;;
  hash-field-ttl) cli eval "local f={} for j=1,16 do f[j]='field:'..j end
    for i=1,tonumber(ARGV[1]) do local k='t:'..i for j=1,16 do redis.call('HSET',k,f[j],'value:'..(i*j)) end
    redis.call('HEXPIRE',k,864000,'FIELDS',16,unpack(f)) end" 0 "$n" >/dev/null ;;
  list-quicklist) cli eval "for i=1,tonumber(ARGV[1]) do local a={} for j=1,500 do a[j]='item:'..(i*j) end redis.call('RPUSH','l:'..i,unpack(a)) end" 0 "$n" >/dev/null ;;
  set-intset) cli eval "for i=1,tonumber(ARGV[1]) do local a={} for j=1,100 do a[j]=i*1000+j end redis.call('SADD','s:'..i,unpack(a)) end" 0 "$n" >/dev/null ;;
  set-hashtable) cli eval "for i=1,tonumber(ARGV[1]) do local a={} for j=1,200 do a[j]='member:'..(i*j) end redis.call('SADD','S:'..i,unpack(a)) end" 0 "$n" >/dev/null ;;
  zset-listpack) cli eval "for i=1,tonumber(ARGV[1]) do local k='z:'..i for j=1,16 do redis.call('ZADD',k,i+j/7,'m:'..j) end end" 0 "$n" >/dev/null ;;
  zset-skiplist) cli eval "for i=1,tonumber(ARGV[1]) do local a={} for j=1,200 do a[2*j-1]=i+j/7 a[2*j]='member:'..j end redis.call('ZADD','Z:'..i,unpack(a)) end" 0 "$n" >/dev/null ;;
  stream-groups) cli eval "for i=1,tonumber(ARGV[1]) do local k='x:'..i for j=1,200 do redis.call('XADD',k,'*','sensor',j,'reading',i*j) end redis.call('XGROUP','CREATE',k,'g','0') redis.call('XREADGROUP','GROUP','g','c','COUNT',50,'STREAMS',k,'>') end" 0 "$n" >/dev/null ;;
  mix)
    # Per unit: 3 strings of 64 bytes, a 3-field hash; every 4th a 20-member
    # sorted set, every 10th a 100-item list or a 50-integer set, every 50th
    # a 100-entry stream, every 100th a 300-member hashtable set and a
    # 600-field hashtable hash; a third of the strings with a TTL.
    cli debug populate $((n * 3)) mix 64 >/dev/null
    cli eval "for i=1,tonumber(ARGV[1]) do
      redis.call('HSET','mh:'..i,'a',i,'b',i*2,'c','text:'..i)
      if i%3==0 then redis.call('EXPIRE','mix:'..i,864000) end
      if i%4==0 then for j=1,20 do redis.call('ZADD','mz:'..i,j,'m:'..j) end end
      if i%10==0 then for j=1,100 do redis.call('RPUSH','ml:'..i,'item:'..j) end end
      if i%10==5 then for j=1,50 do redis.call('SADD','ms:'..i,j) end end
      if i%50==0 then for j=1,100 do redis.call('XADD','mx:'..i,'*','f',j) end end
      if i%100==0 then for j=1,300 do redis.call('SADD','mS:'..i,'member:'..j) end
        for j=1,600 do redis.call('HSET','mH:'..i,'field:'..j,j) end end
    end" 0 "$n" >/dev/null ;;
  *) echo "bench-estimate: unknown shape $shape" >&2; exit 1 ;;
  esac
}
# resp N CMD KEYS: N commands of kind CMD in RESP on stdout, writing KEYS keys
# in turn (0: N distinct keys for SET, 5000 hashes for HSET, 500 streams for
# XADD). MIX rotates SET, HSET, RPUSH, SADD, ZADD, XADD, INCR and EXPIRE (of
# the SET before; no DEL: the model counts what commands write, not what
# they delete, docs/estimate.md).
resp() {
  awk -v n="$1" -v c="$2" -v keys="$3" 'function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
  BEGIN { h = keys ? keys : 5000; x = keys ? keys : 500
    for (i = 1; i <= n; i++) {
    if (c == "SET") { printf "*3\r\n"; bulk("SET"); bulk("key:" i); bulk("value:" i "-0123456789") }
    else if (c == "HSET") { printf "*4\r\n"; bulk("HSET"); bulk("hash:" (i % h)); bulk("field:" i); bulk("value:" i) }
    else if (c == "XADD") { printf "*7\r\n"; bulk("XADD"); bulk("stream:" (i % x)); bulk("*"); bulk("sensor"); bulk(i % 97); bulk("reading"); bulk(i) }
    else if (c == "MIX") { k = i % 8
      if (k == 0) { printf "*3\r\n"; bulk("SET"); bulk("key:" i); bulk("value:" i) }
      else if (k == 1) { printf "*4\r\n"; bulk("HSET"); bulk("hash:" (i % 2000)); bulk("field:" i); bulk(i) }
      else if (k == 2) { printf "*3\r\n"; bulk("RPUSH"); bulk("list:" (i % 300)); bulk("item:" i) }
      else if (k == 3) { printf "*3\r\n"; bulk("SADD"); bulk("set:" (i % 500)); bulk("member:" i) }
      else if (k == 4) { printf "*4\r\n"; bulk("ZADD"); bulk("zset:" (i % 1000)); bulk(i); bulk("m:" i) }
      else if (k == 5) { printf "*5\r\n"; bulk("XADD"); bulk("stream:" (i % 100)); bulk("*"); bulk("f"); bulk(i) }
      else if (k == 6) { printf "*2\r\n"; bulk("INCR"); bulk("counter:" (i % 5000)) }
      else { printf "*3\r\n"; bulk("EXPIRE"); bulk("key:" (i - 7)); bulk(864000) } }
  } }'
}
# waitrewrite: waits for a BGREWRITEAOF to end.
waitrewrite() {
  for _ in $(seq 6000); do
    [ "$(info persistence aof_rewrite_in_progress)" = 0 ] && [ "$(info persistence aof_rewrite_scheduled)" = 0 ] && return 0
    sleep 0.05
  done
  echo "bench-estimate: BGREWRITEAOF did not end" >&2; exit 1
}

# load_rdb FILE FORKS: loads FILE once into an empty server by DEBUG RELOAD
# NOSAVE, then FORKS BGSAVEs; sets l_wall, l_cpu, l_mem, l_rss, l_huge, l_forks.
# Returns 1 when the server refuses the file.
load_rdb() {
  local file=$1 d=$work/load c0 t0 t1 reply
  rm -rf "$d"; mkdir -p "$d"; start "$d"
  ln -s "$file" "$d/dump.rdb"
  c0=$(cpu); t0=$(now_ms); reply=$(cli debug reload nosave 2>&1); t1=$(now_ms)
  if [ "$reply" != OK ]; then
    # A file newer than the server (7.0.15 reads RDB 10 at most) is refused:
    # no measurement, rather than the time of the refusal.
    echo "bench-estimate: $server cannot load $file: $reply" >&2; stop; return 1
  fi
  l_cpu=$(awk -v a="$(cpu)" -v b="$c0" 'BEGIN{printf "%.6f", a-b}')
  l_wall=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", (a-b)/1000}')
  l_mem=$(info memory used_memory); l_rss=$(info memory used_memory_rss); l_huge=$(hugebytes)
  rm -f "$d/dump.rdb" # the BGSAVEs write their own, not over the dataset
  l_forks=$(forks "$2")
  stop
}
# load_aof DIR FORKS: loads the AOF set DIR (an appendonlydir) once into an
# empty server by DEBUG LOADAOF, which reads the manifest from disk (Redis
# src/debug.c), then FORKS BGSAVEs; sets l_wall, l_cpu, l_mem, l_rss, l_huge, l_forks.
load_aof() {
  local set=$1 d=$work/load c0 t0 t1
  rm -rf "$d"; mkdir -p "$d"; start "$d" --appendonly yes --appendfsync no
  rm -rf "$d/appendonlydir"; cp -rL "$set" "$d/appendonlydir"
  c0=$(cpu)
  t0=$(now_ms); cli debug loadaof | grep -q OK || { echo "bench-estimate: DEBUG LOADAOF of $set failed; log:" >&2; tail -20 "$d/log" >&2; exit 1; }; t1=$(now_ms)
  l_cpu=$(awk -v a="$(cpu)" -v b="$c0" 'BEGIN{printf "%.6f", a-b}')
  l_wall=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", (a-b)/1000}')
  l_mem=$(info memory used_memory); l_rss=$(info memory used_memory_rss); l_huge=$(hugebytes)
  l_forks=$(forks "$2")
  stop
}
# timed_save KIND PATH: wall ms of a foreground SAVE of the loaded data (0 with SAVE=0).
timed_save() {
  [ "${SAVE:-1}" = 0 ] && { echo 0; return; }
  local d=$work/save t0 t1
  rm -rf "$d"; mkdir -p "$d"
  if [ "$1" = rdb ]; then start "$d"; ln -s "$2" "$d/dump.rdb"
    # A file newer than the server is refused: no figure (0).
    [ "$(cli debug reload nosave 2>&1)" = OK ] || { stop; echo 0; return; }
    rm -f "$d/dump.rdb"
  else start "$d" --appendonly yes --appendfsync no; rm -rf "$d/appendonlydir"; cp -rL "$2" "$d/appendonlydir"; cli debug loadaof >/dev/null; fi
  t0=$(now_ms); cli save >/dev/null; t1=$(now_ms); stop
  echo $((t1 - t0))
}
# The datasets, in the order of the report: add KEY NAME SIZE KIND PATH
# SAVE_MS LOADS FORKS NOTE.
dsets=()
declare -A d_name d_size d_kind d_path d_save d_loads d_nforks d_note d_wall d_cpu d_cpus d_mem d_rss d_huge d_forks d_skip
add() {
  dsets+=("$1"); d_name[$1]=$2; d_size[$1]=$3; d_kind[$1]=$4; d_path[$1]=$5; d_save[$1]=$6
  d_loads[$1]=$7; d_nforks[$1]=$8; d_note[$1]=$9
}
# Sizes (SCALE=1) for 0.15-0.2 s of load CPU at S on an idle machine (from a
# SCALE=0.25 run on the reference machine, 2026-12-07), so that the noise of
# a CPU-time reading (a few ms) stays under 5 %. aof-hset-wide keeps its hashes
# listpacks at L (320 fields), 4 times the fields per hash of aof-hset.
# strings-many (8 times strings-small's keys, 3.2 M: past the point where the
# main dict's table, 8 bytes a bucket, outgrows a 32 MiB last-level cache)
# gives the growth of a key's load cost with the dataset's keys
# (estimate.Fit, KeyNs); at 1.6 M it saw too little of it, and the 20 M keys
# of small-strings.rdb loaded 28 % slower than predicted (7.0.15, 2026-12-07).
# aof-set-many (15 times aof-set's keys: 3 M and 6 M) gives the cost of the
# rehashes of the main table that an AOF's new keys cause past aof-set's
# sizes (estimate.Fit, NsPerRehashedEntry; an RDB load sizes the table
# first, from RESIZEDB): both sizes end well after a growth of the table
# on Redis (2^21, 2^22 keys) and Valkey 8.1+ (7 x 2^18, 7 x 2^19), so that
# its rehash has finished (Valkey 9.0.4's load of make bench-data's AOF
# set was 29-41 % slower than predicted without it, 2026-12-07).
shapes=${SHAPES-"strings-small:400000 strings-many:3200000 strings-large:30000 hash-listpack:120000 hash-hashtable:1200 hash-field-ttl:60000 list-quicklist:9000 set-intset:150000 set-hashtable:5400 zset-listpack:125000 zset-skiplist:3000 stream-groups:4500 mix:32000"}
aofs=${AOFS-"aof-set:200000:SET aof-set-many:3000000:SET aof-hset:200000:HSET aof-hset-wide:160000:HSET:1000 aof-xadd:130000:XADD aof-xadd-long:130000:XADD:50 aof-preamble:80000:MIX:24000:preamble aof-incr-only:200000:MIX:0:incr-only"}
tsv=$out/measurements.tsv
printf 'name\tsize\tkind\tpath\tload_s\tload_cpu_s\tused_memory\tused_memory_empty\trss\tfork_usec\tsave_ms\tfork_usec_median\tload_cpu_s_all\tfork_usec_all\tanon_huge_bytes\n' >"$tsv"
mkdir -p "$work/empty"; start "$work/empty"; empty=$(info memory used_memory); stop
echo "empty server used_memory: $empty"
reuse=${REUSE:-}
t_start=$(date +%s)

for spec in $shapes; do
  shape=${spec%%:*}; base=${spec#*:}
  if [ "$shape" = hash-field-ttl ] && { [ "$flavor" != redis ] || ! ver_ge 7.4; }; then
    echo "$shape: skipped: hash field TTLs need Redis 7.4+ ($build)"; continue
  fi
  for sz in S L; do
    n=$(size "$base" $sz)
    dir=$work/$shape-$sz; rm -rf "$dir"; mkdir -p "$dir"
    if [ -n "$reuse" ] && [ -f "$reuse/$shape-$sz.rdb" ]; then cp "$reuse/$shape-$sz.rdb" "$dir/dump.rdb"
    else start "$dir"; gen "$shape" "$n"; cli save >/dev/null; stop; fi
    cp "$dir/dump.rdb" "$out/$shape-$sz.rdb"; rm -rf "$dir"
    add "$shape-$sz" "$shape" $sz rdb "$out/$shape-$sz.rdb" "$(timed_save rdb "$out/$shape-$sz.rdb")" "$runs" "$forks" "$n keys"
    echo "[$(( $(date +%s) - t_start )) s] built $shape $sz: $n keys"
  done
done

for spec in $aofs; do
  IFS=: read -r shape base cmd keys layout <<<"$spec"
  keys=${keys:-0}; layout=${layout:-resp}
  for sz in S L; do
    n=$(size "$base" $sz)
    dir=$work/$shape-$sz; rm -rf "$dir"; mkdir -p "$dir"
    if [ -n "$reuse" ] && [ -d "$reuse/$shape-$sz" ]; then cp -r "$reuse/$shape-$sz" "$dir/appendonlydir"
    else
      case $layout in
      resp|incr-only)
        # A RESP base (empty: the server started empty) and one long incr file.
        start "$dir" --appendonly yes --aof-use-rdb-preamble no --appendfsync no
        resp "$n" "$cmd" "$keys" | cli --pipe >/dev/null
        stop
        if [ "$layout" = incr-only ]; then
          # The log without a base: the manifest's base line and file removed.
          b=$(awk '$6=="b" {print $2}' "$dir/appendonlydir"/*.manifest)
          sed -i '/ type b$/d' "$dir/appendonlydir"/*.manifest; rm -f "$dir/appendonlydir/$b"
        fi ;;
      preamble)
        # An RDB base (the mix, KEYS units, rewritten) and a RESP incr file.
        start "$dir" --appendonly yes --aof-use-rdb-preamble yes --appendfsync no
        gen mix "$(size "$keys" $sz)"; cli bgrewriteaof >/dev/null; waitrewrite
        resp "$n" "$cmd" 0 | cli --pipe >/dev/null
        stop ;;
      *) echo "bench-estimate: unknown AOF layout $layout" >&2; exit 1 ;;
      esac
    fi
    rm -rf "$out/$shape-$sz"; cp -r "$dir/appendonlydir" "$out/$shape-$sz"; rm -rf "$dir"
    add "$shape-$sz" "$shape" $sz aof "$out/$shape-$sz" "$(timed_save aof "$out/$shape-$sz")" "$runs" "$forks" "$n commands ($layout)"
    echo "[$(( $(date +%s) - t_start )) s] built $shape $sz: $n commands ($layout)"
  done
done

# The bench files of make bench-data: predicted, never fitted on (size B);
# loaded in the first BENCH_RUNS (2) rounds, BENCH_RUNS BGSAVEs per load.
bench_runs=${BENCH_RUNS:-2}
# bench_save KIND PATH: with BENCH_SAVE=1, the timed SAVE of a bench file
# (a load and a save of 2 GB: about a minute each), else 0 (none).
bench_save() { if [ "${BENCH_SAVE:-0}" = 1 ]; then timed_save "$@"; else echo 0; fi; }
if [ -n "$bench" ]; then
  found=
  for f in small-strings.rdb mixed.rdb shaped.rdb; do
    [ -f "$bench/$f" ] || continue; found=1
    add "bench-${f%.rdb}-B" "bench-${f%.rdb}" B rdb "$bench/$f" "$(bench_save rdb "$bench/$f")" "$bench_runs" "$bench_runs" "bench file"
  done
  if [ -f "$bench/aof/appendonlydir/appendonly.aof.manifest" ]; then
    found=1; add bench-aof-B bench-aof B aof "$bench/aof/appendonlydir" "$(bench_save aof "$bench/aof/appendonlydir")" "$bench_runs" "$bench_runs" "bench file"
  fi
  [ -n "$found" ] || echo "bench files: none in $bench (make bench-data, or BENCH_DATA=dir)"
fi

# The loads, in rounds: each dataset once per round, the least load CPU, wall
# time and fork kept over the rounds. A CPU time on a VM has a slow mode
# 30-45 % above the fast one that can last tens of seconds: loaded RUNS times
# in a row, every load of one dataset could fall in it; in rounds, a slow
# stretch touches one load of several datasets instead.
for r in $(seq "$runs"); do
  for k in "${dsets[@]}"; do
    [ -n "${d_skip[$k]:-}" ] && continue
    [ "$r" -gt "${d_loads[$k]}" ] && continue
    if [ "${d_kind[$k]}" = rdb ]; then
      load_rdb "${d_path[$k]}" "${d_nforks[$k]}" || { d_skip[$k]=1; echo "${d_name[$k]} ${d_size[$k]}: skipped"; continue; }
    else load_aof "${d_path[$k]}" "${d_nforks[$k]}"; fi
    if [ -z "${d_cpu[$k]:-}" ] || lt "$l_cpu" "${d_cpu[$k]}"; then d_cpu[$k]=$l_cpu; fi
    if [ -z "${d_wall[$k]:-}" ] || lt "$l_wall" "${d_wall[$k]}"; then d_wall[$k]=$l_wall; fi
    d_mem[$k]=$l_mem; d_rss[$k]=$l_rss; d_huge[$k]=$l_huge; d_forks[$k]="${d_forks[$k]:-} $l_forks"; d_cpus[$k]="${d_cpus[$k]:-} $l_cpu"
    echo "[$(( $(date +%s) - t_start )) s] round $r/$runs ${d_name[$k]} ${d_size[$k]}: load cpu ${l_cpu}s"
  done
done
for k in "${dsets[@]}"; do
  [ -n "${d_skip[$k]:-}" ] && continue
  fork=$(printf '%s\n' ${d_forks[$k]} | quartile); forkmed=$(printf '%s\n' ${d_forks[$k]} | median)
  # Then every load's CPU seconds and every fork's µs, in the order
  # measured, comma-separated, for other statistics offline; the last
  # column, the last load's AnonHugePages (bytes; 0 without THP), as rss
  # and used_memory are the last load's.
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${d_name[$k]}" "${d_size[$k]}" "${d_kind[$k]}" "${d_path[$k]}" \
    "${d_wall[$k]}" "${d_cpu[$k]}" "${d_mem[$k]}" "$empty" "${d_rss[$k]}" "$fork" "${d_save[$k]}" "$forkmed" \
    "$(echo ${d_cpus[$k]} | tr ' ' ,)" "$(echo ${d_forks[$k]} | tr ' ' ,)" "${d_huge[$k]}" >>"$tsv"
  echo "${d_name[$k]} ${d_size[$k]} (${d_note[$k]}): load ${d_wall[$k]}s (cpu ${d_cpu[$k]}s), used_memory ${d_mem[$k]}, fork ${fork}us (lower quartile; median ${forkmed}us), save ${d_save[$k]}ms${THP:+, in huge pages ${d_huge[$k]}}"
done
echo "measurements: $tsv ($(( $(date +%s) - t_start )) s)"
[ -n "${MEASURE_ONLY:-}" ] && exit 0
machine="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end${PIN:+, servers pinned to CPU $PIN}${thp_args:+, transparent huge pages on}"
cd "$here" && go run ./scripts/benchestimate -measurements "$tsv" -coefficients "$out/coefficients.json" \
  -server "$release" -server-build "$build ($server)" -machine "$machine"
