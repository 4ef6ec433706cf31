#!/usr/bin/env bash
# GNU Go level 10 matches on a 16-core GPU machine, the protocol of data/MODEL.md: 2-game matches (colours
# alternate) with a different GNU Go --seed each, many at a time, every game scored by a GNU Go referee.
#   RAW_PAIRS pairs for the raw network (--playouts 0), SEARCH_PAIRS pairs with PLAYOUTS-playout search.
# Same inputs as gpu_session.sh (.gpu/bin/gnugo.gz, .gpu/lib, .whl; benchmarks/gpu_setup.sh). Results: $OUT/gnugo-matches.tar.gz.
set -u
OUT=${OUT:-/tmp/gpu-out}; DEVICE=${DEVICE:-cuda}
RAW_PAIRS=${RAW_PAIRS:-20}; SEARCH_PAIRS=${SEARCH_PAIRS:-3}; PLAYOUTS=${PLAYOUTS:-32}; PARALLEL=${PARALLEL:-23}
LIMIT=${LIMIT:-210}
. benchmarks/gpu_setup.sh
R=/tmp/gm; mkdir -p $R "$OUT"
job() {  # kind pair
  local kind=$1 pair=$2 playouts=0 seed=$((1000 + $2))
  [ "$kind" = search ] && playouts=$PLAYOUTS && seed=$((2000 + $2))
  $PY play.py match --playouts $playouts --device "$DEVICE" --games 2 --size 19 --komi 7.5 --max-moves 600 \
    --opponent "$GG --mode gtp --level 10 --chinese-rules --seed $seed" --referee "$GG --mode gtp --chinese-rules" \
    --timeout 120 --seed $pair --sgf-dir $R/$kind/pair-$pair --json > $R/$kind/pair-$pair.json 2> $R/$kind/pair-$pair.err
}
export -f job; export PY DEVICE GG R PLAYOUTS
mkdir -p $R/raw $R/search
( for p in $(seq 1 $RAW_PAIRS); do echo "raw $p"; done; for p in $(seq 1 $SEARCH_PAIRS); do echo "search $p"; done ) |
  timeout "$LIMIT" xargs -P "$PARALLEL" -L 1 bash -c 'job $0 $1'
echo "xargs exit $?"
tar -czf "$OUT/gnugo-matches.tar.gz" -C /tmp gm
ls $R/raw/*.json $R/search/*.json | wc -l
