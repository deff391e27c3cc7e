/**
 * Zero-setup first run for the local engine. While the settings are the pristine defaults (the default model
 * URI with "auto" context and GPU layers) and nothing is downloaded yet, the chooser decides what this machine
 * loads: the model (the default GLM-4-32B Q4_K_M where it fits, else e.g. GLM-4-9B on a small GPU or the CPU)
 * and the context size it planned with headroom; GPU layers stay "auto" (node-llama-cpp fits them to that
 * context on the real device, and the engine's memory step-down still applies). The reason is said once (the
 * model host shows it with the device sentence). Anything the user set (another model, a number for context
 * or GPU layers: `glm4.chooseModel` writes all three) is loaded as set.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { DEFAULT_MODEL_URI, type Glm4Settings } from "../protocol/settings";
import type { FirstRunRecord } from "../protocol/planner";
import type { Logger } from "../logger";
import { findDownloaded } from "../model/download/store";
import { chooseModel, type MachineInfo } from "./chooser";

/** llama.cpp contexts the local engine creates at the chosen size (one each for completion and chat). */
export const ENGINE_CONTEXTS = 2;

export interface FirstRunResult {
    settings: Glm4Settings;
    /** One sentence for the log and status when the planner chose (absent: the settings were used as set). */
    notice?: string;
}

export function isPristine(s: Glm4Settings): boolean {
    return s.engine === "local" && s.model.trim() === DEFAULT_MODEL_URI && s.contextSize === "auto" && s.gpuLayers === "auto";
}

export async function planFirstRun(
    settings: Glm4Settings,
    o: { storagePath: string; probe: () => Promise<MachineInfo>; log?: Logger },
): Promise<FirstRunResult> {
    if (!isPristine(settings)) return { settings };
    if (await findDownloaded(o.storagePath, DEFAULT_MODEL_URI)) return { settings };
    let machine: MachineInfo;
    try {
        machine = await o.probe();
    } catch (e) {
        o.log?.warn(`Planner: could not read the GPU state (${(e as Error).message}); loading the default model.`);
        return { settings };
    }
    const choice = chooseModel(machine, { contexts: ENGINE_CONTEXTS });
    o.log?.info(`Planner: ${choice.explanation}`);
    await writeFirstRunRecord(o.storagePath, { uri: choice.uri, contextSize: choice.contextSize, explanation: choice.explanation, at: new Date().toISOString() })
        .catch((e) => o.log?.warn(`Planner: could not record the first-run choice: ${(e as Error).message}`));
    const planned: Glm4Settings = { ...settings, model: choice.uri, contextSize: choice.contextSize };
    if (choice.uri === DEFAULT_MODEL_URI || (await findDownloaded(o.storagePath, choice.uri))) return { settings: planned, notice: choice.explanation };
    return { settings: planned, notice: `${choice.explanation} Run "GLM-4: Choose Model for This GPU" to pick another.` };
}

/** Where the last first-run choice is recorded (the client shows its reason once). */
export function firstRunRecordPath(storagePath: string): string {
    return path.join(storagePath, "planner-first-run.json");
}

async function writeFirstRunRecord(storagePath: string, r: FirstRunRecord): Promise<void> {
    await fs.mkdir(storagePath, { recursive: true });
    const file = firstRunRecordPath(storagePath);
    await fs.writeFile(`${file}.${process.pid}.tmp`, JSON.stringify(r, null, 2));
    await fs.rename(`${file}.${process.pid}.tmp`, file);
}

export async function readFirstRunRecord(storagePath: string): Promise<FirstRunRecord | undefined> {
    try {
        const r = JSON.parse(await fs.readFile(firstRunRecordPath(storagePath), "utf8")) as Partial<FirstRunRecord>;
        return typeof r.uri === "string" && typeof r.explanation === "string" && typeof r.contextSize === "number" && typeof r.at === "string"
            ? (r as FirstRunRecord) : undefined;
    } catch {
        return undefined;
    }
}
