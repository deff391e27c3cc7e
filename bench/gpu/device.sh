#!/usr/bin/env bash
# GLM-4-32B on the lent GPU machine, in ONE call (see bench/gpu/README.md for the exact `run` call).
# Runs in the repo root there, with .device/ carried (bash bench/gpu/prepare.sh builds it here) and $OUT set.
#
#   1. unpack the carried Node binary, node_modules subtree and llama.cpp source into $WORK (/tmp/glm4gpu)
#   2. in parallel: build ONLY the ggml-cuda backend (sm_90) from that source  |  generate the 19.7 GB
#      random-weight GLM-4-32B Q4_K_M-like GGUF (/dev/shm when it has room, else $WORK) and check its size
#   3. put the fresh libggml-cuda.so into @node-llama-cpp/linux-x64-cuda, then measure.mjs: load with all layers
#      on the GPU, contexts 4096 / 16384 / 32768 (+deep fill) f16 KV, 32768 q8_0 KV and 65536 YaRN x4 if time allows
#   4. $OUT: gpu-results.json, gpu-log.txt (this script's output), llama-log.txt, build-log.txt, gen-log.txt
#
# Everything has its own time limit inside GLM4_GPU_BUDGET_S (default 450 s) so partial results come back.
# Rerunning on the same warm machine reuses the build and the model file (minutes saved).
# GLM4_GPU_TASK=second: instead of step 3's VRAM run, issue 4's GLM-4-9B rows (second.cjs = bench/secondModel.ts):
#   models 32b, 9b and their `agree` variants (51.7 GB together); results in $OUT/second-results.json.
# A carried .device/libggml-cuda.so.xz (or its parts .device/libggml-cuda.so.xz.part-*, as an earlier run returned
# them in $OUT) skips the build; a fresh build is returned that way (xz, 15 MiB parts) for the next call.
# Env: GLM4_GPU_BUDGET_S, GLM4_GPU_TASK, GLM4_GPU_SECOND_ARGS (more second.cjs arguments), GLM4_GPU_CARRY, GLM4_GPU_CONFIGS (measure.mjs --configs), GLM4_GPU_WORK, GLM4_GPU_JOBS.
# GLM4_GPU_DRY=1 (bench/gpu/dryrun.sh, on a machine without a GPU): same steps, but the tiny model, no CUDA build,
# the CPU prebuilt copied from this checkout's node_modules, and small CPU-sized configs.
set -uo pipefail
T0=$(date +%s)
BUDGET=${GLM4_GPU_BUDGET_S:-450}
OUT=${OUT:-$PWD/.device-out}
WORK=${GLM4_GPU_WORK:-/tmp/glm4gpu}
CARRY=${GLM4_GPU_CARRY:-.device}
JOBS=${GLM4_GPU_JOBS:-$(nproc)}
BUILD_LIMIT=${GLM4_GPU_BUILD_LIMIT_S:-$(( BUDGET - 100 < 330 ? BUDGET - 100 : 330 ))}   # build done by then (s after start)
MIN_MEASURE=${GLM4_GPU_MIN_MEASURE_S:-90}     # model load + the 4096 and 16384 contexts
DRY=${GLM4_GPU_DRY:-0}
TASK=${GLM4_GPU_TASK:-vram}
SHAPES=(32b); GPU=cuda; MEASURE_EXTRA=()
[[ "$TASK" == second ]] && SHAPES=(32b 9b 32b-agree 9b-agree)   # main, small, agreeing main, agreeing small
if [[ "$DRY" == 1 ]]; then
    GPU=false; MIN_MEASURE=${GLM4_GPU_MIN_MEASURE_S:-15}
    if [[ "$TASK" == second ]]; then
        SHAPES=(tiny tiny-f16 tiny-agree tiny-agree)
        MEASURE_EXTRA=(--context 4096 --reps 2 --prompt-bytes 2000 --chat-tokens 64)
    else
        SHAPES=(tiny-hd32)
        MEASURE_EXTRA=(--prompt 300 --decode 16 --deep 3000 --configs "${GLM4_GPU_CONFIGS:-1024,2048,4096+deep,4096:q8_0,8192:yarn2}")
    fi
fi
mkdir -p "$OUT" "$WORK"
ts() { printf '[device %s +%4ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - T0 ))" "$*"; }
left() { echo $(( T0 + BUDGET - $(date +%s) )); }
EXTRA="$WORK/device-info.json"
status_json() { # key value (value is raw JSON)
    python3 - "$EXTRA" "$1" "$2" <<'PY' 2>/dev/null || true
import json, sys, os
p, k, v = sys.argv[1:4]
d = json.load(open(p)) if os.path.exists(p) else {}
d[k] = json.loads(v)
json.dump(d, open(p, "w"), indent=1)
PY
}

main() {
rm -f "$EXTRA"
ts "start: budget ${BUDGET}s, work $WORK, out $OUT, jobs $JOBS"

# --- 0. the machine ------------------------------------------------------------------------------------------------
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,compute_cap --format=csv || ts "nvidia-smi failed"
SMI_HEAD=$(nvidia-smi 2>/dev/null | grep -m1 -o 'CUDA Version: [0-9.]*' || true)
for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do [[ -x "$d/nvcc" ]] && { export PATH="$d:$PATH"; break; }; done
NVCC=$(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo "no nvcc")
CUDA_LIB=$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)")")/lib64
[[ -d "$CUDA_LIB" ]] && export LD_LIBRARY_PATH="$CUDA_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[[ -d /usr/local/nvidia/lib64 ]] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
ts "nvcc: $NVCC; driver's $SMI_HEAD; cmake: $(cmake --version 2>/dev/null | head -1); ninja: $(ninja --version 2>/dev/null || echo none); cpus $(nproc); mem $(free -g | awk '/Mem:/{print $2}') GiB"
df -h /tmp /dev/shm "$PWD" 2>/dev/null | sed 's/^/    /'
GPU_INFO=$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null || true)
status_json gpu "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1].strip() or None))' "$GPU_INFO")"
status_json cuda "$(printf '{"nvcc":"%s","driver":"%s"}' "$NVCC" "$SMI_HEAD")"

# --- 1. unpack -------------------------------------------------------------------------------------------------------
HAVE_SO=0; ls "$CARRY"/libggml-cuda.so.xz* >/dev/null 2>&1 && HAVE_SO=1   # a carried build needs no source
for f in node.xz nm.tar.xz llama-src.tar.xz gen.cjs measure.mjs second.cjs; do
    [[ "$f" == llama-src.tar.xz && "$HAVE_SO" == 1 ]] && continue
    [[ -f "$CARRY/$f" ]] || { ts "FATAL: $CARRY/$f missing (run bash bench/gpu/prepare.sh here and carry $CARRY)"; exit 2; }
done
# xz -dc, or Python's lzma where the image has no xz
unxz_cat() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer, 1<<20)' "$1"; fi; }
NODE="$WORK/node"
if [[ ! -x "$NODE" ]] || ! cmp -s "$CARRY/node.xz" "$WORK/node.xz.carried"; then
    unxz_cat "$CARRY/node.xz" > "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE" && cp "$CARRY/node.xz" "$WORK/node.xz.carried"
fi &
if ! cmp -s "$CARRY/nm.tar.xz" "$WORK/nm.tar.xz.carried"; then
    rm -rf "$WORK/node_modules" && unxz_cat "$CARRY/nm.tar.xz" | tar xf - -C "$WORK" && cp "$CARRY/nm.tar.xz" "$WORK/nm.tar.xz.carried"
fi &
if [[ "$HAVE_SO" != 1 && ! -f "$WORK/llama/CMakeLists.txt" ]]; then
    rm -rf "$WORK/llama.tmp" && mkdir -p "$WORK/llama.tmp" && unxz_cat "$CARRY/llama-src.tar.xz" | tar xf - -C "$WORK/llama.tmp" && mv "$WORK/llama.tmp" "$WORK/llama"
fi &
wait
cp "$CARRY/gen.cjs" "$CARRY/measure.mjs" "$CARRY/second.cjs" "$WORK/"
ts "unpacked: node $("$NODE" --version 2>&1), node-llama-cpp $("$NODE" -p 'require("'"$WORK"'/node_modules/node-llama-cpp/package.json").version' 2>&1)"
"$NODE" --version >/dev/null 2>&1 || { ts "FATAL: the carried node does not run here"; exit 2; }

# --- 2a. generate the models (background) ------------------------------------------------------------------------
NEED=0; UNIQUE=()
for sh in "${SHAPES[@]}"; do
    [[ " ${UNIQUE[*]} " == *" $sh "* ]] && continue
    UNIQUE+=("$sh")
    NEED=$(( NEED + $("$NODE" "$WORK/gen.cjs" "$sh" --size-only | python3 -c 'import json,sys; print(json.load(sys.stdin)["expectedBytes"])') ))
done
SHM_AVAIL=$(df -B1 --output=avail /dev/shm 2>/dev/null | tail -1 | tr -d ' ' || echo 0)
if [[ -n "${GLM4_GPU_MODEL_DIR:-}" ]]; then MODEL_DIR=$GLM4_GPU_MODEL_DIR
elif (( ${SHM_AVAIL:-0} > NEED + 3000000000 )); then MODEL_DIR=/dev/shm; else MODEL_DIR=$WORK; fi
model_path() { echo "$MODEL_DIR/glm4-$1-random.gguf"; }
MODEL=$(model_path "${SHAPES[0]}")
ts "generating ${UNIQUE[*]} ($(( NEED / 1000000 )) MB) into $MODEL_DIR (/dev/shm free: $(( ${SHM_AVAIL:-0} / 1000000000 )) GB)"
GEN_PIDS=()
: > "$OUT/gen-log.txt"
for sh in "${UNIQUE[@]}"; do
    ( cd "$WORK" && exec "$NODE" gen.cjs "$sh" "$(model_path "$sh")" "$WORK/gen-$sh.json" ) >> "$OUT/gen-log.txt" 2>&1 &
    GEN_PIDS+=($!)
done

# --- 2b. build ggml-cuda -------------------------------------------------------------------------------------------
SO=$(find "$WORK/b" -name 'libggml-cuda.so' -type f 2>/dev/null | head -1)
CARRIED_SO=()
[[ -f "$CARRY/libggml-cuda.so.xz" ]] && CARRIED_SO=("$CARRY/libggml-cuda.so.xz")
[[ ${#CARRIED_SO[@]} == 0 ]] && CARRIED_SO=($(ls "$CARRY"/libggml-cuda.so.xz.part-* 2>/dev/null))
FRESH_BUILD=0
if [[ "$DRY" != 1 && -z "$SO" && ${#CARRIED_SO[@]} -gt 0 ]]; then
    mkdir -p "$WORK/b/carried"
    cat "${CARRIED_SO[@]}" > "$WORK/b/carried/libggml-cuda.so.xz"
    unxz_cat "$WORK/b/carried/libggml-cuda.so.xz" > "$WORK/b/carried/libggml-cuda.so" && rm -f "$WORK/b/carried/libggml-cuda.so.xz"
    SO="$WORK/b/carried/libggml-cuda.so"
    ts "using the carried libggml-cuda.so (${#CARRIED_SO[@]} file(s)): no build"
    status_json buildS '"carried"'
fi
if [[ "$DRY" == 1 ]]; then
    SO=none; ts "dry run: no CUDA build; copying the CPU prebuilt from this checkout"
    cp -r node_modules/@node-llama-cpp/linux-x64 "$WORK/node_modules/@node-llama-cpp/"
elif [[ -n "$SO" ]]; then
    ts "reusing $SO"
else
    GEN_ARGS=(-G Ninja); command -v ninja >/dev/null || GEN_ARGS=()
    B0=$(date +%s)
    ts "configuring ggml-cuda (sm_90)"
    if cmake -S "$WORK/llama" -B "$WORK/b" "${GEN_ARGS[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
        -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON \
        -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DGGML_CUDA_NCCL=OFF > "$OUT/build-log.txt" 2>&1; then
        ts "building ggml-cuda with -j$JOBS (limit $(( T0 + BUILD_LIMIT - $(date +%s) )) s)"
        timeout -k 5 $(( T0 + BUILD_LIMIT - $(date +%s) )) cmake --build "$WORK/b" -j"$JOBS" --target ggml-cuda >> "$OUT/build-log.txt" 2>&1
        rc=$?
        ts "build exit $rc after $(( $(date +%s) - B0 )) s"
    else
        ts "cmake configure FAILED"; tail -30 "$OUT/build-log.txt"
    fi
    status_json buildS "$(( $(date +%s) - B0 ))"
    SO=$(find "$WORK/b" -name 'libggml-cuda.so' -type f 2>/dev/null | head -1)
    FRESH_BUILD=1
fi
if [[ -z "$SO" ]]; then
    ts "FATAL: no libggml-cuda.so; build log tail:"; tail -40 "$OUT/build-log.txt"
    kill "${GEN_PIDS[@]}" 2>/dev/null; exit 3
fi
[[ "$DRY" == 1 ]] || { ls -la "$SO"; status_json libggmlCudaBytes "$(stat -c %s "$SO")"; }
if [[ "$FRESH_BUILD" == 1 && "$TASK" == second ]]; then
    # for a later call: .device/libggml-cuda.so.xz.part-* skip the build (in the background, low priority)
    ( nice -n 19 xz -T4 -6 -c "$SO" | split -b 15M - "$OUT/libggml-cuda.so.xz.part-" ) &
fi
status_json modelPath "\"$MODEL\""

# --- 2c. wait for the models -------------------------------------------------------------------------------------
GEN_WAIT=$(( $(left) - MIN_MEASURE ))   # leave the measurement at least MIN_MEASURE seconds
running() { local p; for p in "${GEN_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while running && (( GEN_WAIT > 0 )); do sleep 2; GEN_WAIT=$(( GEN_WAIT - 2 )); done
if running; then ts "FATAL: a generator is still running"; kill "${GEN_PIDS[@]}" 2>/dev/null; exit 4; fi
GEN_RC=0
for p in "${GEN_PIDS[@]}"; do wait "$p" || GEN_RC=$?; done
cat "$OUT/gen-log.txt"
if (( GEN_RC != 0 )); then ts "FATAL: generator exit $GEN_RC"; exit 4; fi
cp "$WORK/gen-${SHAPES[0]}.json" "$WORK/gen.json"
ts "models ready: $(du -ch $(for sh in "${UNIQUE[@]}"; do model_path "$sh"; done) | tail -1 | cut -f1)"

# --- 3. install the backend and measure ----------------------------------------------------------------------------
BINS="$WORK/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda"
if [[ "$DRY" != 1 ]]; then
    cp "$SO" "$BINS/libggml-cuda.so"
    # the build links libggml-base.so.0 (its own, in the build folder); a carried build finds the prebuilt one
    # (same llama.cpp tree) through this link; LD_LIBRARY_PATH comes before the build's RUNPATH, so both use it
    [[ -e "$BINS/libggml-base.so.0" ]] || ln -s libggml-base.so "$BINS/libggml-base.so.0"
    export LD_LIBRARY_PATH="$BINS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ldd "$BINS/libggml-cuda.so" | grep -E 'cuda|cublas|ggml|not found' | sed 's/^/    /'
fi
cp bench/gpu/diag-binding.cjs "$WORK/"
(cd "$WORK" && timeout 60 "$NODE" diag-binding.cjs "$BINS" 2>&1 | grep -v '^\s*$' | tail -15) || ts "binding diagnostic failed (see above)"
MEASURE_S=$(( $(left) - 10 ))
ts "measuring (${MEASURE_S}s left)"
if [[ "$TASK" == second ]]; then
    GPU_ARG=cuda; [[ "$GPU" == false ]] && GPU_ARG=false
    timeout -k 10 "$MEASURE_S" "$NODE" "$WORK/second.cjs" --main "$(model_path "${SHAPES[0]}")" --small "$(model_path "${SHAPES[1]}")" \
        --agree-main "$(model_path "${SHAPES[2]}")" --agree-small "$(model_path "${SHAPES[3]}")" --out "$OUT" --gpu "$GPU_ARG" \
        --threads "$(nproc)" ${GLM4_GPU_SECOND_ARGS:-} "${MEASURE_EXTRA[@]}"
    MRC=$?
    python3 - "$OUT/second-results.json" "$EXTRA" <<'PY' 2>/dev/null || true
import json, sys
r = json.load(open(sys.argv[1])); r["deviceScript"] = json.load(open(sys.argv[2]))
json.dump(r, open(sys.argv[1], "w"), indent=1)
PY
    wait   # the .so compression
else
    timeout -k 10 "$MEASURE_S" "$NODE" "$WORK/measure.mjs" --model "$MODEL" --out "$OUT" --gpu "$GPU" \
        --deadline-ms $(( ( $(date +%s) + MEASURE_S - 15 ) * 1000 )) --threads "$(nproc)" \
        --gen-json "$WORK/gen.json" --extra-json "$EXTRA" ${GLM4_GPU_CONFIGS:+--configs "$GLM4_GPU_CONFIGS"} "${MEASURE_EXTRA[@]}"
    MRC=$?
fi
ts "measure exit $MRC; total $(( $(date +%s) - T0 )) s"
ls -la "$OUT"
return $MRC
}

main 2>&1 | tee -a "$OUT/gpu-log.txt"
exit "${PIPESTATUS[0]}"
