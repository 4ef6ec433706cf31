#!/usr/bin/env bash
# One GPU session, start to finish, in about ten minutes of one H100/H200 (16 cores):
#   1. prepare the training set (with the games' winners) while timing the network eager vs torch.compile;
#   2. continue training the shipped 13x192 policy net with a fresh value head (--init-from, --value-weight);
#   3. evaluate the shipped net and the new one on the held-out test month (top-1/top-5/NLL, value accuracy,
#      by game phase);
#   4. matches with tree search: 32 playouts against the raw network (openings from held-out games) and
#      against GNU Go level 10, both refereed by GNU Go.
# $OUT receives two files: results.tar.gz (logs, JSON reports, SGF records; re-packed after every phase, so a
# session cut short still returns what it did) and the new model.
#
# Inputs, relative to the repository root: .gpu/tygem/ (a copy of ../shared/data/tygem-9d's files),
# .gpu/bin/gnugo.gz + .gpu/lib/ (Debian's GNU Go 3.8 and the two libraries it links), .whl/ (sgfmill,
# gymnasium, farama-notifications wheels: the GPU image lacks them).
# Knobs for a CPU dry run: DEVICE=cpu STEPS=20 EVAL_GAMES=3 MATCH_GAMES=2 MATCH_JOBS=1 WORKERS=2 ...
set -u
OUT=${OUT:-/tmp/gpu-out}
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-13}
STEPS=${STEPS:-8000}
BATCH=${BATCH:-512}
LR=${LR:-0.02}
VALUE_WEIGHT=${VALUE_WEIGHT:-0.5}
EVAL_GAMES=${EVAL_GAMES:-300}
MATCH_GAMES=${MATCH_GAMES:-40}
MATCH_JOBS=${MATCH_JOBS:-14}
SELF_JOBS=${SELF_JOBS:-4}
PLAYOUTS=${PLAYOUTS:-32}
BENCH=${BENCH:-1}
TRAIN_LIMIT=${TRAIN_LIMIT:-200}
MATCH_LIMIT=${MATCH_LIMIT:-230}
MAX_GAMES=${MAX_GAMES:-100000}
MAX_MOVES=${MAX_MOVES:-600}
L=/tmp/gpu/logs
mkdir -p "$OUT" $L /tmp/gpu/sgf
pack() { tar -czf "$OUT/results.tar.gz" -C /tmp/gpu logs sgf; }
T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$L/timeline.txt"; }

# --- set-up: packages the image lacks, GNU Go, the source tree on PYTHONPATH
. benchmarks/gpu_setup.sh
$GG --version | head -1 | tee "$L/gnugo-version.txt"
nvidia-smi -L > "$L/device.txt" 2>&1; $PY -c "import torch; print(torch.__version__)" >> "$L/device.txt"
D=.gpu/tygem
TEST=$D/tygem-9d-2015-06.tar.bz2
say "set-up done"

# --- 1. prepare || eager-vs-compile benchmark
$PY train_policy.py prepare $D/tygem-9d-2011-0[1-6].tar.bz2 $D/tygem-9d-2011-09.tar.bz2 $D/tygem-9d-2011-10.tar.bz2 \
  $D/tygem-9d-2015-05-collection.sgf.gz $D/tygem-9d-2016-06.tar.gz \
  --out /tmp/prep --workers "$WORKERS" --val-fraction 0.01 --max-games "$MAX_GAMES" > "$L/prepare.log" 2>&1 &
PREP=$!
if [ "$BENCH" = 1 ]; then
  timeout 120 $PY benchmarks/bench_training.py --device "$DEVICE" --presets alphago --no-loader --peak-tflops 989 \
    --batch-size "$BATCH" > "$L/bench-eager.txt" 2>&1
  say "eager bench done"
  timeout 120 $PY benchmarks/bench_training.py --device "$DEVICE" --presets alphago --no-loader --peak-tflops 989 \
    --batch-size "$BATCH" --compile > "$L/bench-compile.txt" 2>&1
  say "compile bench done (exit $?)"
fi
wait $PREP; say "prepare done (exit $?)"; pack
cp /tmp/prep/report.json "$L/prepare-report.json" 2>/dev/null

# --- 2. continue training the shipped net with a fresh value head
timeout "$TRAIN_LIMIT" $PY train_policy.py train --data /tmp/prep --out /tmp/run --init-from data/policy.safetensors --preset alphago \
  --value-weight "$VALUE_WEIGHT" --lr "$LR" --steps "$STEPS" --batch-size "$BATCH" --workers "$WORKERS" \
  --device "$DEVICE" --eval-every $(( STEPS / 4 > 0 ? STEPS / 4 : 1 )) --checkpoint-every $(( STEPS / 4 > 0 ? STEPS / 4 : 1 )) \
  --val-positions 8192 --no-progress > "$L/train.log" 2>&1
say "train done (exit $?)"; pack
cp /tmp/run/log.jsonl "$L/train-log.jsonl" 2>/dev/null
NEW=/tmp/run/model.safetensors
[ -f $NEW ] || NEW=/tmp/run/best.safetensors
cp "$NEW" "$OUT/policy-value-13x192.safetensors" 2>/dev/null

# --- 3. the test month, both nets at once
$PY train_policy.py evaluate --model data/policy.safetensors "$TEST" --max-games "$EVAL_GAMES" --device "$DEVICE" \
  --batch-size 1024 --json --no-progress > "$L/eval-shipped.json" 2> "$L/eval-shipped.err" &
$PY train_policy.py evaluate --model "$NEW" "$TEST" --max-games "$EVAL_GAMES" --device "$DEVICE" \
  --batch-size 1024 --json --no-progress > "$L/eval-new.json" 2> "$L/eval-new.err"
wait; say "evaluations done"; pack

# --- 4. matches with search (the new net if it has a value head; GNU Go referees both)
REF=${REFEREE:-"$GG --mode gtp --chinese-rules"}
timeout "$MATCH_LIMIT" $PY play.py match --model "$NEW" --playouts "$PLAYOUTS" --device "$DEVICE" \
  --opponent "$PY play.py gtp --model $NEW --device $DEVICE" --referee "$REF" \
  --games "$MATCH_GAMES" --jobs "$SELF_JOBS" --openings "$TEST" --opening-moves 10 --max-moves "$MAX_MOVES" --timeout 120 --seed 1 \
  --sgf-dir "/tmp/gpu/sgf/search-vs-raw" --json > "$L/match-search-vs-raw.json" 2> "$L/match-search-vs-raw.err" &
SELF=$!
timeout "$MATCH_LIMIT" $PY play.py match --model "$NEW" --playouts "$PLAYOUTS" --device "$DEVICE" \
  --opponent "$GG --mode gtp --level 10 --chinese-rules" --referee "$REF" \
  --games "$MATCH_GAMES" --jobs "$MATCH_JOBS" --openings "$TEST" --opening-moves 10 --max-moves "$MAX_MOVES" --timeout 120 --seed 2 \
  --sgf-dir "/tmp/gpu/sgf/search-vs-gnugo" --json > "$L/match-search-vs-gnugo.json" 2> "$L/match-search-vs-gnugo.err"
say "gnugo match done (exit $?)"
wait $SELF; say "search-vs-raw match done (exit $?)"

cp /tmp/run/curves.png $L/ 2>/dev/null
say "all done"; pack
