/**
 * Settings: defaults, validation and merging. Sources, later wins: DEFAULT_SETTINGS, initializationOptions
 * (`{ settings }`), then the `glm4` section of workspace/configuration (pulled at start and on
 * workspace/didChangeConfiguration). Bad values are reported and replaced by the default, never fatal.
 */
import { DEFAULT_SETTINGS, type Glm4Settings } from "./protocol/settings";

export interface SettingsStore {
    get(): Glm4Settings;
    /** Called with the new and previous settings after each change. */
    onDidChange(listener: (next: Glm4Settings, prev: Glm4Settings) => void): { dispose(): void };
}

export class MutableSettingsStore implements SettingsStore {
    private current: Glm4Settings;
    private readonly listeners = new Set<(next: Glm4Settings, prev: Glm4Settings) => void>();

    constructor(initial: Glm4Settings = DEFAULT_SETTINGS) {
        this.current = initial;
    }

    get(): Glm4Settings {
        return this.current;
    }

    set(next: Glm4Settings): void {
        const prev = this.current;
        this.current = next;
        if (JSON.stringify(prev) !== JSON.stringify(next)) for (const l of [...this.listeners]) l(next, prev);
    }

    onDidChange(listener: (next: Glm4Settings, prev: Glm4Settings) => void): { dispose(): void } {
        this.listeners.add(listener);
        return { dispose: () => this.listeners.delete(listener) };
    }
}

type Problems = string[];

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Overlays `raw` (untrusted JSON) on `base`, key by key, keeping base's value (and noting a problem) where
 * raw's value has the wrong type. `"auto"` is accepted wherever the default is "auto".
 */
function overlay<T>(base: T, raw: unknown, path: string, problems: Problems): T {
    if (raw === undefined || raw === null) return base;
    if (isPlainObject(base)) {
        if (!isPlainObject(raw)) {
            problems.push(`${path} should be an object`);
            return base;
        }
        const out: Record<string, unknown> = { ...base };
        for (const key of Object.keys(base)) out[key] = overlay((base as Record<string, unknown>)[key], raw[key], `${path}.${key}`, problems);
        return out as T;
    }
    if (Array.isArray(base)) {
        if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return raw as T;
        problems.push(`${path} should be a list of strings`);
        return base;
    }
    if (base === "auto" || (typeof base === "number" && AUTO_NUMBER_KEYS.has(path))) {
        if (raw === "auto") return raw as T;
        if (typeof raw === "number" && Number.isFinite(raw) && raw >= 0) return raw as T;
        problems.push(`${path} should be "auto" or a non-negative number, got ${JSON.stringify(raw)}`);
        return base;
    }
    if (typeof base === "number") {
        if (typeof raw === "number" && Number.isFinite(raw) && raw >= 0) return raw as T;
        problems.push(`${path} should be a non-negative number, got ${JSON.stringify(raw)}`);
        return base;
    }
    if (typeof raw !== typeof base) {
        problems.push(`${path} should be a ${typeof base}, got ${JSON.stringify(raw)}`);
        return base;
    }
    return raw as T;
}

const AUTO_NUMBER_KEYS = new Set(["glm4.gpuLayers", "glm4.contextSize", "glm4.threads"]);

const ENUMS: Record<string, readonly string[]> = {
    "glm4.engine": ["local", "openai-compatible"],
    "glm4.completion.format": ["auto", "codegeex", "fill-in"],
};

/** Validates and merges untrusted settings over `base`. Returns the settings and the problems found. */
export function resolveSettings(raw: unknown, base: Glm4Settings = DEFAULT_SETTINGS): { settings: Glm4Settings; problems: string[] } {
    const problems: Problems = [];
    const settings = overlay(base, raw, "glm4", problems);
    for (const [path, allowed] of Object.entries(ENUMS)) {
        const keys = path.split(".").slice(1);
        let holder: Record<string, unknown> = settings as unknown as Record<string, unknown>;
        let baseHolder: Record<string, unknown> = base as unknown as Record<string, unknown>;
        for (const k of keys.slice(0, -1)) {
            holder = holder[k] as Record<string, unknown>;
            baseHolder = baseHolder[k] as Record<string, unknown>;
        }
        const last = keys[keys.length - 1]!;
        if (!allowed.includes(holder[last] as string)) {
            problems.push(`${path} should be one of ${allowed.join(", ")}, got ${JSON.stringify(holder[last])}`);
            holder[last] = baseHolder[last];
        }
    }
    return { settings, problems };
}
