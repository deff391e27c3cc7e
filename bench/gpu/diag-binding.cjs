// Diagnostic for the GPU bench (device.sh runs it before measure.mjs; not fatal): loads node-llama-cpp's CUDA
// addon directly, the way node-llama-cpp's own binary test does, and prints what loads, so a failing
// getLlama({ gpu: "cuda" }) comes with the real reason (a missing CUDA library, an ABI mismatch, no device).
// Usage: node diag-binding.cjs BINS_DIR
const path = require("node:path");
const bins = path.resolve(process.argv[2] ?? ".");
(async () => {
    const b = require(path.join(bins, "llama-addon.node"));
    b.loadBackends();
    let gpu = b.getGpuType();
    console.log(`diag: after loadBackends(): gpu ${gpu}`);
    if (gpu == null || gpu === false) {
        b.loadBackends(bins);
        gpu = b.getGpuType();
        console.log(`diag: after loadBackends(bins): gpu ${gpu}`);
    }
    await b.init();
    console.log(`diag: init ok; devices ${JSON.stringify(b.getGpuDeviceInfo())}; vram ${JSON.stringify(b.getGpuVramInfo())}`);
})().catch((e) => { console.log(`diag: FAILED ${e && e.stack || e}`); process.exitCode = 1; });
