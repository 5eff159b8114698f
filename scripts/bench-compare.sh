#!/usr/bin/env bash
# Side-by-side timing of `rdbkit verify` and `redis-check-rdb` on the bench-data
# RDBs (small-strings, mixed, shaped), in one run: wall time, user and system
# CPU and peak RSS (GNU time), and the ratios of each checker's wall time and CPU time
# (user + system) to rdbkit's (CPU time is the fairer figure on a loaded machine).
#   rdbkit verify               --jobs 0 (2 on a machine with 2 CPUs or more) where verify has it
#   rdbkit verify, one core     GOMAXPROCS=1 taskset -c 1, with --jobs 1 where verify has it
#   redis-check-rdb <version>   the one on PATH (Debian's 7.0.15 here; CHECK_RDB overrides it)
#   redis-check-rdb 7.4.1       $RDBKIT_SERVERS/redis-7.4.1/redis-check-rdb, when RDBKIT_SERVERS is set
# A checker that cannot read a file (redis-check-rdb 7.0.15 reads RDB 10 at most) is shown as such.
# Usage: scripts/bench-compare.sh [dir]   (default bench-data; run `make bench-data` first)
#   RUNS=n   best of n runs per line (default 3)
set -euo pipefail
dir=${1:-bench-data}
bin=${RDBKIT:-bin/rdbkit}
runs=${RUNS:-3}
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || { echo "$bin not built (make build)" >&2; exit 1; }
checkers=()
debian=${CHECK_RDB:-$(command -v redis-check-rdb || true)}
[ -n "$debian" ] && checkers+=("$debian")
if [ -n "${RDBKIT_SERVERS:-}" ] && [ -x "$RDBKIT_SERVERS/redis-7.4.1/redis-check-rdb" ]; then
  checkers+=("$RDBKIT_SERVERS/redis-7.4.1/redis-check-rdb")
fi
[ ${#checkers[@]} -gt 0 ] || { echo "no redis-check-rdb (apt-get install redis-tools, or set RDBKIT_SERVERS)" >&2; exit 1; }
jobs=""
"$bin" verify --help 2>&1 | grep -q -- --jobs && jobs=yes
checker_name() { # path -> "redis-check-rdb 7.0.15"
  local v; v=$("$1" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
  echo "redis-check-rdb ${v:-?}"
}

# measure cmd... -> prints "wall user sys rssKiB ok|FAIL:<why>", the best (by wall) of $runs runs.
measure() {
  local best="" line tf of i
  tf=$(mktemp); of=$(mktemp)
  for i in $(seq "$runs"); do
    local rc=0
    /usr/bin/time -o "$tf" -f '%e %U %S %M' "$@" >"$of" 2>&1 || rc=$?
    local st=ok
    if [ "$rc" -ne 0 ]; then st="FAIL:rc=$rc"; fi
    # redis-check-rdb exits 0 even when it reports an error; its verdict is the last lines.
    case "$1" in *check-rdb*) grep -q 'RDB looks OK' "$of" || st="FAIL:$(grep -m1 -oE "Can't handle RDB format version [0-9]+" "$of" ||
      grep -m1 -oE 'RDB ERROR DETECTED' "$of" || echo 'no OK line')";; esac
    st=${st// /_}
    line="$(tail -1 "$tf") $st"
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then best=$line; fi
  done
  rm -f "$tf" "$of"
  echo "$best"
}

printf '%-18s %-38s %8s %8s %7s %10s  %s\n' file tool wall user sys "peak RSS" "checker / rdbkit (wall time; user+sys CPU time)"
for f in "$dir"/small-strings.rdb "$dir"/mixed.rdb "$dir"/shaped.rdb; do
  [ -s "$f" ] || { echo "missing $f (make bench-data)"; continue; }
  size=$(stat -L -c %s "$f")
  version=$(head -c 9 "$f" | tail -c 4 | sed 's/^0*//')
  cat "$f" > /dev/null # warm the page cache for every tool alike
  labels=(); results=()
  if [ -n "$jobs" ]; then
    labels+=("rdbkit verify (--jobs 0, $(nproc) CPUs)")
  else
    labels+=("rdbkit verify ($(nproc) CPUs)")
  fi
  results+=("$(measure "$bin" verify --quiet ${jobs:+--jobs 0} "$f")")
  labels+=("rdbkit verify, one core${jobs:+ (--jobs 1)}")
  results+=("$(measure env GOMAXPROCS=1 taskset -c 1 "$bin" verify --quiet ${jobs:+--jobs 1} "$f")")
  for c in "${checkers[@]}"; do
    labels+=("$(checker_name "$c")")
    results+=("$(measure "$c" "$f")")
  done
  nrdb=2
  for i in "${!labels[@]}"; do
    read -r w u s m st <<<"${results[$i]}"
    ratios=""
    if [ "$i" -lt "$nrdb" ] && [ "$st" = ok ]; then
      for j in $(seq "$nrdb" $((${#labels[@]} - 1))); do
        read -r cw _ _ _ cst <<<"${results[$j]}"
        if [ "$cst" = ok ]; then
          read -r _ cu cs _ _ <<<"${results[$j]}"
          ratios+=$(awk -v c="$cw" -v r="$w" -v cc="$cu+$cs" -v rc="$u+$s" -v n="${labels[$j]#redis-check-rdb }" \
            'BEGIN{split(cc,a,"+"); split(rc,b,"+"); x=a[1]+a[2]; y=b[1]+b[2];
                   printf "vs %s: %.1fx wall, %.1fx CPU   ", n, c/(r>0?r:0.01), x/(y>0?y:0.01)}')
        fi
      done
    fi
    [ "$st" = ok ] || ratios="cannot check: ${st#FAIL:}"
    ratios=${ratios//_/ }
    printf '%-18s %-38s %7.2fs %7.2fs %6.2fs %7.1f MiB  %s\n' "$(basename "$f")" "${labels[$i]}" "$w" "$u" "$s" \
      "$(awk -v k="$m" 'BEGIN{print k/1024}')" "$ratios"
  done
  printf '%-18s %.0f MB, RDB %s\n' "" "$(awk -v s="$size" 'BEGIN{print s/1e6}')" "$version"
done
