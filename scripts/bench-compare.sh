#!/usr/bin/env bash
# Side-by-side timing of `rdbkit verify` and `redis-check-rdb` on the
# bench-data RDBs, pinned to one core, with peak RSS. Usage:
#   scripts/bench-compare.sh [dir]   (default bench-data; run `make bench-data` first)
set -euo pipefail
dir=${1:-bench-data}
bin=${RDBKIT:-bin/rdbkit}
command -v redis-check-rdb >/dev/null || { echo "redis-check-rdb not installed (apt-get install redis-tools)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)" >&2; exit 1; }
runs=${RUNS:-3}
for f in "$dir"/small-strings.rdb "$dir"/mixed.rdb; do
  [ -s "$f" ] || { echo "missing $f (make bench-data)"; continue; }
  size=$(stat -c %s "$f")
  cat "$f" > /dev/null # warm the page cache for both tools alike
  for tool in rdbkit redis-check-rdb; do
    best=""
    for i in $(seq "$runs"); do
      if [ $tool = rdbkit ]; then cmd=("$bin" verify --quiet "$f"); else cmd=(redis-check-rdb "$f"); fi
      tf=$(mktemp)
      GOMAXPROCS=1 taskset -c 1 /usr/bin/time -o "$tf" -f '%e %M' "${cmd[@]}" >/dev/null 2>&1 || true
      out=$(tail -1 "$tf"); rm -f "$tf"
      t=${out% *}; rss=${out#* }
      if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; bestrss=$rss; fi
    done
    printf '%-18s %-16s %8.2f s  %7.0f MB/s  peak RSS %6d KiB\n' "$(basename "$f")" "$tool" "$best" \
      "$(awk "BEGIN{print $size/1e6/$best}")" "$bestrss"
  done
done
