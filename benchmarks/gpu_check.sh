#!/usr/bin/env bash
# The prepared GPU check: everything a GPU machine must confirm, in one script (under 8 minutes on
# one GPU).
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]        (default: outputs/gpu_check/<date-time>)
#
# With CUDA:
#   1. pytest -m cuda: ops (knn, the fused Triton kernels, chamfer, fps, ...), models on CUDA
#      against CPU, training steps in fp32, bf16 autocast and torch.compile;
#   2. the benchmark preset bench/sizes=gpu_check, suite by suite (ops, models, train_step), each
#      writing bench.json and bench.md under OUT_DIR/<suite>/.
# Without CUDA it says so, skips those, and runs what a CPU can check: the Triton kernels against
# their naive twins through the Triton interpreter, their ahead-of-time compilation to PTX for
# sm_90, and the same three suites at the tiny preset (the harness, the roofline and the new cases
# run end to end).
#
#   PYTHON       the interpreter (default: .venv/bin/python when present, else python3)
#   TEST_TIMEOUT seconds for the tests (default 240), BENCH_TIMEOUT per suite (default 150)
# Exit status: 0 when every part that ran passed.
set -uo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
OUT="${1:-outputs/gpu_check/$(date +%Y%m%d-%H%M%S)}"
TEST_TIMEOUT="${TEST_TIMEOUT:-240}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-150}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
failed=0

say() { printf '[gpu_check] %s\n' "$*" | tee -a "$SUMMARY"; }
part() {  # part NAME TIMEOUT CMD...: run, log to OUT/NAME.log, record the outcome
  local name="$1" limit="$2"
  shift 2
  local started=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local took=$((SECONDS - started))
  if [ "$rc" -eq 0 ]; then
    say "PASS  $name (${took}s)"
  elif [ "$rc" -eq 124 ]; then
    say "FAIL  $name: timed out after ${limit}s (log: $OUT/$name.log)"
    failed=1
  else
    say "FAIL  $name: exit $rc after ${took}s (log: $OUT/$name.log)"
    tail -n 15 "$OUT/$name.log" | sed 's/^/        /' | tee -a "$SUMMARY"
    failed=1
  fi
}

device="$("$PY" - <<'PY'
import torch
if torch.cuda.is_available():
    print("cuda " + torch.cuda.get_device_name(0).replace(" ", "_"))
else:
    print("cpu none")
PY
)" || { say "FAIL  cannot import torch with $PY"; exit 1; }
kind="${device%% *}"
triton="$("$PY" -c 'import triton; print(triton.__version__)' 2>/dev/null || echo "not installed")"
say "device: $device | triton: $triton | python: $PY | out: $OUT"

if [ "$kind" = "cuda" ]; then
  part pytest_cuda "$TEST_TIMEOUT" "$PY" -m pytest -q -m cuda -p no:cacheprovider \
    tests/ops tests/metrics tests/models tests/train
  for suite in ops models train_step; do
    part "bench_$suite" "$BENCH_TIMEOUT" "$PY" -m pointrecon.cli.main bench "bench=$suite" \
      bench/sizes=gpu_check device=cuda fail_on_error=true "hydra.run.dir=$OUT/$suite"
  done
else
  say "SKIP  pytest -m cuda and the gpu_check benchmark preset: no CUDA device on this machine"
  if [ "$triton" = "not installed" ]; then
    say "SKIP  Triton interpreter tests: triton is not installed (pip install -e '.[dev]')"
  else
    part triton_interpreter "$TEST_TIMEOUT" env TRITON_INTERPRET=1 OMP_NUM_THREADS=1 \
      "$PY" -m pytest -q -p no:cacheprovider tests/ops/test_knn_triton.py \
      tests/ops/test_nearest.py tests/metrics/test_chamfer_triton.py tests/ops/test_triton_compile.py
  fi
  for suite in ops models train_step; do
    part "bench_$suite" "$BENCH_TIMEOUT" "$PY" -m pointrecon.cli.main bench "bench=$suite" \
      bench/sizes=tiny device=cpu roofline=true "hydra.run.dir=$OUT/$suite"
  done
fi

for suite in ops models train_step; do
  [ -f "$OUT/$suite/bench.md" ] && { echo; cat "$OUT/$suite/bench.md"; } >>"$OUT/tables.md"
done
[ -f "$OUT/tables.md" ] && say "tables: $OUT/tables.md"
if [ "$failed" -eq 0 ]; then say "OK"; else say "FAILED (see above)"; fi
exit "$failed"
