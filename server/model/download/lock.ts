/**
 * A cross-process lock on one download (`<dest>.lock` holding the owner's pid), so two VS Code windows (two
 * servers sharing the extension's global storage) never append to the same `.partial` file. A lock whose
 * process is gone is stale and taken over.
 */
import * as fs from "node:fs/promises";

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

export interface Lock { release(): Promise<void> }

/**
 * Takes the lock, waiting (polling every `pollMs`) while another live process holds it. `onWait` is called once
 * when it has to wait. Rejects with the signal's reason on abort.
 */
export async function acquireLock(file: string, o: { signal?: AbortSignal; pollMs?: number; onWait?: () => void } = {}): Promise<Lock> {
    let waited = false;
    for (;;) {
        o.signal?.throwIfAborted();
        try {
            const h = await fs.open(file, "wx");
            await h.writeFile(String(process.pid));
            await h.close();
            return { release: () => fs.rm(file, { force: true }) };
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const pid = Number((await fs.readFile(file, "utf8").catch(() => "")).trim());
        if (!Number.isInteger(pid) || pid <= 0 || (!alive(pid) && pid !== process.pid)) {
            await fs.rm(file, { force: true });
            continue;
        }
        if (!waited) {
            waited = true;
            o.onWait?.();
        }
        await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, o.pollMs ?? 1000);
            o.signal?.addEventListener("abort", () => { clearTimeout(t); reject(o.signal!.reason); }, { once: true });
        });
    }
}
