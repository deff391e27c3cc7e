// Dry-run check (bench/gpu/dryrun.sh): the real GLM-4-32B shape's GGUF header, written as a sparse file of the full
// size, parses in node-llama-cpp and llama.cpp accepts its metadata and 151552-token vocabulary (vocabOnly load,
// no weight is read). Prints node-llama-cpp's view of the file. Usage: node header-check.mjs FILE.gguf
import { getLlama, readGgufFileInfo, GgufInsights } from "node-llama-cpp";

const file = process.argv[2];
const info = await readGgufFileInfo(file);
const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: "error" });
const ins = await GgufInsights.from(info, llama);
const model = await llama.loadModel({ modelPath: file, vocabOnly: true });
const chat = model.tokenize("[gMASK]<sop><|user|>\nhi<|assistant|>", true);
const tokens = info.metadata.tokenizer.ggml.tokens.length;
const est = ins.estimateModelResourceRequirements({ gpuLayers: ins.totalLayers, useMmap: false });
console.log(`header-check: ${JSON.stringify({
    arch: info.metadata.general.architecture, tensors: info.tensorCount, layers: ins.totalLayers,
    params: ins.totalParameters, modelSizeMiB: Math.round(ins.modelSize / 2 ** 20), trainCtx: ins.trainContextSize,
    vocab: tokens, chatTokens: chat, v1AllLayersMiB: Math.round(est.gpuVram / 2 ** 20), v1CpuMiB: Math.round(est.cpuRam / 2 ** 20),
})}`);
await model.dispose();
if (ins.totalLayers !== 62 || chat[0] !== 151331 || tokens !== 151552) {
    console.error("header-check: unexpected layers / special token ids / vocabulary size");
    process.exit(1);
}
