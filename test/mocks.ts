/**
 * Test helpers over the offline engine (scripts/offline.ts): run a stack under mocks once per
 * test file (the Pulumi runtime is process-global) and query the recorded resources by type.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { runOffline, redact, unwrap, isSecretValue, type OfflineOptions, type OfflineResult, type RecordedResource } from "../scripts/offline";

export { runOffline, redact, unwrap, isSecretValue };
export type { OfflineResult, RecordedResource };

export class Graph {
    constructor(public readonly result: OfflineResult) {
        if (result.error) throw result.error;
    }
    all(type: string): RecordedResource[] {
        return this.result.resources.filter((r) => r.type === type);
    }
    one(type: string, name?: string): RecordedResource {
        const found = this.all(type).filter((r) => name === undefined || r.name === name);
        if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        return found[0];
    }
    /** Inputs with secrets unwrapped: what the provider receives after decryption. */
    inputs(r: RecordedResource): any {
        return unwrap(r.inputs);
    }
    /** Inputs as the plan prints them: secrets replaced by "[secret]". */
    redacted(r: RecordedResource): any {
        return redact(r.inputs);
    }
}

export async function graphOf(stack: string, opts: Omit<OfflineOptions, "stack"> = {}): Promise<Graph> {
    return new Graph(await runOffline({ stack, ...opts }));
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** `npm run plan -- <args>` as a user runs it (the same loader), in a child process. */
export function planCli(args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
        const p = spawn(process.execPath, ["--require", "./scripts/register.js", "scripts/plan.ts", ...args], { cwd: path.resolve(__dirname, "..") });
        let stdout = "", stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}
