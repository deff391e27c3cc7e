/** Where the server keeps files when the client gives no storagePath (standalone use from other editors). */
import * as os from "node:os";
import * as path from "node:path";

export function defaultStoragePath(): string {
    const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
    return path.join(base, "glm4-code");
}
