#!/bin/bash
# `check --no-cache -j 2` against `--executor ray` (a local Ray instance of 2 CPUs), wall seconds,
# two interleaved runs per corpus; each Ray report compared with the local one less "seconds".
# Usage: benchmarks/ray.sh [CORPUS_DIR (default /tmp/corpus5)] [CALLGRAPH (default .venv/bin/callgraph)]
set -u
CORPUS=${1:-/tmp/corpus5}
CG=$(realpath "${2:-.venv/bin/callgraph}")
OUT=$(mktemp -d)
cd "$CORPUS" || exit 2
for c in requests rich sqlalchemy django; do
  for run in 1 2; do
    for mode in local ray; do
      extra="-j2"; [ $mode = ray ] && extra="-j2 --executor ray"
      s=$(date +%s.%N)
      $CG check "$c" --no-cache $extra --format json > "$OUT/$c.$mode.json" 2>/dev/null
      rc=$?
      echo "$c $mode run$run rc=$rc $(echo "$(date +%s.%N) - $s" | bc) s"
    done
    if cmp -s <(sed -E 's/"seconds": [0-9.]+//' "$OUT/$c.local.json") <(sed -E 's/"seconds": [0-9.]+//' "$OUT/$c.ray.json"); then
      echo "$c: the same report"
    else
      echo "$c: REPORTS DIFFER"
    fi
  done
done
rm -rf "$OUT"
