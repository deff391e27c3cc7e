#!/usr/bin/env bash
# Dry run, HERE (no GPU), of everything the device call does that a CPU can do, with the carried files only:
#   1. the carried Node binary runs; the generator bundle gives the 32B file size (no 19.7 GB write here)
#   2. the carried node_modules subtree, unpacked alone, imports node-llama-cpp with the carried Node, and
#      getLlama({ gpu: "cuda", build: "never" }) gets as far as the CUDA binary (it must fail for a missing CUDA
#      library / libggml-cuda.so, never for a missing JS module)
#   3. bench/gpu/device.sh end to end with GLM4_GPU_DRY=1: unpack, background generation of the tiny model with
#      its size check, measure.mjs on the CPU (contexts, q8_0 KV, deep fill, YaRN reload via metadataOverrides),
#      gpu-results.json checked for complete numbers.
#   4. the same with GLM4_GPU_TASK=second (the GLM-4-9B rows: bench/secondModel.ts) on tiny models.
# Usage: bash bench/gpu/dryrun.sh   (runs prepare.sh first when .device/ is missing)
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$ROOT"
[[ -f .device/measure.mjs ]] || bash bench/gpu/prepare.sh
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/glm4-gpu-dry.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
log() { printf '[dryrun %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# 1 ------------------------------------------------------------------------------------------------------------------
mkdir -p "$SCRATCH/alone"
xz -dc .device/node.xz > "$SCRATCH/alone/node" && chmod +x "$SCRATCH/alone/node"
NODE="$SCRATCH/alone/node"
log "carried node: $("$NODE" --version)"
SIZE_JSON=$("$NODE" .device/gen.cjs 32b --size-only)
log "32B model file size per glm4ModelFileSize: $SIZE_JSON"
"$NODE" -e 'const j = JSON.parse(process.argv[1]); if (!(j.expectedBytes > 19e9 && j.expectedBytes < 20.5e9)) { console.error("unexpected 32B size"); process.exit(1); }' "$SIZE_JSON"

# 2 ------------------------------------------------------------------------------------------------------------------
tar xJf .device/nm.tar.xz -C "$SCRATCH/alone"
[[ ! -e "$SCRATCH/alone/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/libggml-cuda.so" ]] \
    || { echo "the big libggml-cuda.so got carried" >&2; exit 1; }
cat > "$SCRATCH/alone/probe.mjs" <<'EOF'
const nlc = await import("node-llama-cpp");
console.log(`imported node-llama-cpp: ${Object.keys(nlc).length} exports`);
try {
    const llama = await nlc.getLlama({ gpu: "cuda", build: "never", progressLogs: true, logLevel: "error" });
    console.log(`getLlama cuda loaded: gpu=${llama.gpu}`);
} catch (e) {
    const msg = String(e?.stack ?? e);
    console.log(`getLlama cuda failed as expected without a GPU: ${msg.split("\n")[0]}`);
    if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(msg)) { console.error("MISSING MODULE in the carried tree"); process.exit(1); }
}
EOF
PROBE=$(cd "$SCRATCH/alone" && timeout 120 "$NODE" probe.mjs 2>&1) || { echo "$PROBE"; exit 1; }
echo "$PROBE" | grep -v '^\s*$' | head -20
# node-llama-cpp found @node-llama-cpp/linux-x64-cuda and tested it (a missing package would say "not found")
grep -q 'prebuilt binary for platform "linux" "x64" with CUDA support is not compatible' <<<"$PROBE" \
    || { echo "the CUDA prebuilt was not found/tested in the carried tree" >&2; exit 1; }

# 2b: the real 32B shape's header (a sparse file of the full size: no 19.7 GB write) parses in node-llama-cpp and
# llama.cpp accepts its metadata and 151552-token vocabulary (vocabOnly load; no weights read)
"$NODE" .device/gen.cjs 32b --sparse "$SCRATCH/alone/glm4-32b-sparse.gguf"
cp -r node_modules/@node-llama-cpp/linux-x64 "$SCRATCH/alone/node_modules/@node-llama-cpp/"
cp bench/gpu/header-check.mjs "$SCRATCH/alone/"
(cd "$SCRATCH/alone" && timeout 300 "$NODE" header-check.mjs glm4-32b-sparse.gguf)
rm -f "$SCRATCH/alone/glm4-32b-sparse.gguf"

# 3 ------------------------------------------------------------------------------------------------------------------
mkdir -p "$SCRATCH/out" "$SCRATCH/work"
log "device.sh in dry mode"
OUT="$SCRATCH/out" GLM4_GPU_WORK="$SCRATCH/work" GLM4_GPU_MODEL_DIR="$SCRATCH/work" GLM4_GPU_DRY=1 GLM4_GPU_BUDGET_S="${GLM4_DRY_BUDGET_S:-300}" \
    bash bench/gpu/device.sh
ls -la "$SCRATCH/out"
"$NODE" - "$SCRATCH/out/gpu-results.json" <<'EOF'
const r = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const problems = [];
if (r.status !== "complete") problems.push(`status ${r.status}`);
if (!r.generator?.sizeMatches) problems.push("generator size check");
if (!(r.model?.loadMs >= 0)) problems.push("model facts");
for (const c of r.configs) {
    if (!(c.prompt?.tokPerS > 0 && c.decode?.tokens > 0)) problems.push(`${c.id}: no speed numbers (${c.error ?? c.skipped ?? ""})`);
    if (typeof c.estimate?.v1 !== "object") problems.push(`${c.id}: no V1 estimate`);
    if (c.yarn && !(c.yarnModel?.trainContextSize > r.model.trainContextSize)) problems.push(`${c.id}: YaRN override not applied`);
    if (c.yarn && !(c.yarnModel?.llamaLog ?? []).some((l) => /yarn/i.test(l))) problems.push(`${c.id}: llama.cpp did not log YaRN`);
    if (c.kv === "q8_0" && c.kvCacheKeyType !== "Q8_0") problems.push(`${c.id}: kv type ${c.kvCacheKeyType}`);
}
if (!r.configs.some((c) => c.deep?.promptChunks?.length)) problems.push("no deep fill measured");
console.log(problems.length ? `PROBLEMS:\n  ${problems.join("\n  ")}` : `gpu-results.json ok: ${r.configs.length} configs, status ${r.status}`);
process.exit(problems.length ? 1 : 0);
EOF
# 4 ------------------------------------------------------------------------------------------------------------------
# the second-model task (GLM4_GPU_TASK=second): tiny main / tiny-f16 completion+draft / tiny-agree pair on the CPU
rm -rf "$SCRATCH/out2" && mkdir -p "$SCRATCH/out2"
log "device.sh in dry mode, GLM4_GPU_TASK=second"
OUT="$SCRATCH/out2" GLM4_GPU_WORK="$SCRATCH/work" GLM4_GPU_MODEL_DIR="$SCRATCH/work" GLM4_GPU_DRY=1 GLM4_GPU_TASK=second \
    GLM4_GPU_BUDGET_S="${GLM4_DRY_BUDGET_S:-300}" bash bench/gpu/device.sh
ls -la "$SCRATCH/out2"
"$NODE" - "$SCRATCH/out2/second-results.json" <<'EOF'
const r = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const problems = [];
if (r.status !== "complete") problems.push(`status ${r.status}: ${r.error ?? ""}`);
const rows = r.rows ?? [];
if (rows.length < 20) problems.push(`${rows.length} rows`);
for (const row of rows) if (row.value === null && !/GPU memory/.test(row.metric)) problems.push(`no value: ${row.metric}`);
if (!rows.some((x) => /draft always right, product/.test(x.metric) && /acceptance 100%/.test(x.note ?? ""))) problems.push("agreeing pair not 100% accepted");
if (!r.deviceScript) problems.push("no deviceScript facts");
console.log(problems.length ? `PROBLEMS:\n  ${problems.join("\n  ")}` : `second-results.json ok: ${rows.length} rows`);
process.exit(problems.length ? 1 : 0);
EOF
log "dry run ok"
