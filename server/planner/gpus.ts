/**
 * What the planner knows about GPUs: memory bandwidth and fp16 throughput by device name (to scale measured
 * speeds), and the common classes the table compares against. Pure data.
 */

export interface GpuSpec {
    /** Regex over the device name as the driver reports it ("NVIDIA GeForce RTX 4090"). */
    match: RegExp;
    name: string;
    vramGB: number;
    bandwidthGBs: number;
    fp16Tflops: number;
}

/** Order matters: the first match wins (more specific names first). */
export const GPU_SPECS: readonly GpuSpec[] = [
    { match: /H200/i, name: "H200", vramGB: 141, bandwidthGBs: 4800, fp16Tflops: 989 },
    { match: /H100.*PCIe/i, name: "H100 PCIe", vramGB: 80, bandwidthGBs: 2000, fp16Tflops: 756 },
    { match: /H100.*NVL/i, name: "H100 NVL", vramGB: 94, bandwidthGBs: 3900, fp16Tflops: 835 },
    { match: /H100/i, name: "H100 SXM", vramGB: 80, bandwidthGBs: 3350, fp16Tflops: 989 },
    { match: /A100.*80/i, name: "A100 80GB", vramGB: 80, bandwidthGBs: 2039, fp16Tflops: 312 },
    { match: /A100/i, name: "A100 40GB", vramGB: 40, bandwidthGBs: 1555, fp16Tflops: 312 },
    { match: /L40S/i, name: "L40S", vramGB: 48, bandwidthGBs: 864, fp16Tflops: 362 },
    { match: /L40/i, name: "L40", vramGB: 48, bandwidthGBs: 864, fp16Tflops: 181 },
    { match: /\bL4\b/i, name: "L4", vramGB: 24, bandwidthGBs: 300, fp16Tflops: 121 },
    { match: /\bA10G?\b/i, name: "A10", vramGB: 24, bandwidthGBs: 600, fp16Tflops: 125 },
    { match: /RTX 6000 Ada/i, name: "RTX 6000 Ada", vramGB: 48, bandwidthGBs: 960, fp16Tflops: 364 },
    { match: /A6000/i, name: "RTX A6000", vramGB: 48, bandwidthGBs: 768, fp16Tflops: 155 },
    { match: /\bT4\b/i, name: "T4", vramGB: 16, bandwidthGBs: 320, fp16Tflops: 65 },
    { match: /V100/i, name: "V100", vramGB: 32, bandwidthGBs: 900, fp16Tflops: 125 },
    { match: /RTX 5090/i, name: "RTX 5090", vramGB: 32, bandwidthGBs: 1792, fp16Tflops: 210 },
    { match: /RTX 5080/i, name: "RTX 5080", vramGB: 16, bandwidthGBs: 960, fp16Tflops: 113 },
    { match: /RTX 5070 Ti/i, name: "RTX 5070 Ti", vramGB: 16, bandwidthGBs: 896, fp16Tflops: 88 },
    { match: /RTX 4090/i, name: "RTX 4090", vramGB: 24, bandwidthGBs: 1008, fp16Tflops: 165 },
    { match: /RTX 4080/i, name: "RTX 4080", vramGB: 16, bandwidthGBs: 717, fp16Tflops: 97 },
    { match: /RTX 4070 Ti SUPER/i, name: "RTX 4070 Ti SUPER", vramGB: 16, bandwidthGBs: 672, fp16Tflops: 88 },
    { match: /RTX 4070/i, name: "RTX 4070", vramGB: 12, bandwidthGBs: 504, fp16Tflops: 58 },
    { match: /RTX 4060 Ti/i, name: "RTX 4060 Ti", vramGB: 16, bandwidthGBs: 288, fp16Tflops: 44 },
    { match: /RTX 4060/i, name: "RTX 4060", vramGB: 8, bandwidthGBs: 272, fp16Tflops: 30 },
    { match: /RTX 3090/i, name: "RTX 3090", vramGB: 24, bandwidthGBs: 936, fp16Tflops: 71 },
    { match: /RTX 3080/i, name: "RTX 3080", vramGB: 10, bandwidthGBs: 760, fp16Tflops: 59 },
    { match: /RTX 3070/i, name: "RTX 3070", vramGB: 8, bandwidthGBs: 448, fp16Tflops: 40 },
    { match: /RTX 3060/i, name: "RTX 3060", vramGB: 12, bandwidthGBs: 360, fp16Tflops: 25 },
    { match: /RX 7900 XTX/i, name: "RX 7900 XTX", vramGB: 24, bandwidthGBs: 960, fp16Tflops: 123 },
    { match: /RX 7900/i, name: "RX 7900 XT", vramGB: 20, bandwidthGBs: 800, fp16Tflops: 103 },
    { match: /MI300/i, name: "MI300X", vramGB: 192, bandwidthGBs: 5300, fp16Tflops: 1307 },
    { match: /M\d (Ultra)/i, name: "Apple M-series Ultra", vramGB: 128, bandwidthGBs: 800, fp16Tflops: 27 },
    { match: /M\d (Max)/i, name: "Apple M-series Max", vramGB: 64, bandwidthGBs: 400, fp16Tflops: 14 },
    { match: /M\d (Pro)/i, name: "Apple M-series Pro", vramGB: 32, bandwidthGBs: 200, fp16Tflops: 7 },
];

/** Assumed for a GPU the table does not know. */
export const UNKNOWN_GPU = { bandwidthGBs: 500, fp16Tflops: 50 };
/** Assumed for the CPU path: dual-channel DDR5 and a few hundred GFLOPS of usable fp32/int8 math. */
export const CPU_ASSUMED = { bandwidthGBs: 60, gflops: 400 };

export function gpuSpecFor(name: string): GpuSpec | undefined {
    return GPU_SPECS.find((s) => s.match.test(name));
}

export interface GpuClass { label: string; vramGB: number; example: string; bandwidthGBs: number; fp16Tflops: number }

/** The comparison columns of the requirements table: common VRAM sizes and a typical card of each. */
export const GPU_CLASSES: readonly GpuClass[] = [
    { label: "8 GB", vramGB: 8, example: "RTX 4060", bandwidthGBs: 272, fp16Tflops: 30 },
    { label: "12 GB", vramGB: 12, example: "RTX 3060", bandwidthGBs: 360, fp16Tflops: 25 },
    { label: "16 GB", vramGB: 16, example: "RTX 4080", bandwidthGBs: 717, fp16Tflops: 97 },
    { label: "24 GB", vramGB: 24, example: "RTX 4090", bandwidthGBs: 1008, fp16Tflops: 165 },
    { label: "48 GB", vramGB: 48, example: "RTX A6000 / L40S", bandwidthGBs: 768, fp16Tflops: 155 },
    { label: "80 GB", vramGB: 80, example: "H100 / A100 80GB", bandwidthGBs: 3350, fp16Tflops: 989 },
];

/**
 * Free VRAM to plan with on a card sold as `vramGB` ("24 GB" cards report about 24 GiB), after the driver and
 * a desktop take about 0.5 GiB.
 */
export function usableBytesOfClass(vramGB: number): number {
    return Math.max(0, (vramGB - 0.5) * 1024 ** 3);
}
