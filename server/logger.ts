/** Logging to the client's output channel (window/logMessage via connection.console), with levels. */
import type { Connection } from "vscode-languageserver";

export interface Logger {
    error(message: string): void;
    warn(message: string): void;
    info(message: string): void;
    debug(message: string): void;
}

export function connectionLogger(connection: Connection, debug = false): Logger {
    const stamp = (): string => new Date().toISOString().slice(11, 23);
    return {
        error: (m) => connection.console.error(`${stamp()} ${m}`),
        warn: (m) => connection.console.warn(`${stamp()} ${m}`),
        info: (m) => connection.console.info(`${stamp()} ${m}`),
        debug: (m) => { if (debug) connection.console.log(`${stamp()} ${m}`); },
    };
}

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(lines: string[] = []): Logger & { lines: string[] } {
    return {
        lines,
        error: (m) => lines.push(`error ${m}`),
        warn: (m) => lines.push(`warn ${m}`),
        info: (m) => lines.push(`info ${m}`),
        debug: (m) => lines.push(`debug ${m}`),
    };
}
