/**
 * The plan as a child process, the way a user runs `npm run plan` (the same loader), for the
 * commands and tests that need several plans: the Pulumi runtime under mocks is process-global,
 * so each plan gets its own process. Also the committed stacks the plan knows.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./offline";

export interface PlanRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Node's argv for `npm run plan -- <args>`. Pure. */
export function planArgv(args: string[]): string[] {
    return [
        "--require",
        path.join(ROOT, "scripts", "register.js"),
        path.join(ROOT, "scripts", "plan.ts"),
        ...args,
    ];
}

/** `npm run plan -- <args>` in a child process; resolves with its exit code and output. */
export function runPlan(args: string[]): Promise<PlanRun> {
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, planArgv(args), { cwd: ROOT });
        let stdout = "",
            stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Stacks with a `Pulumi.<stack>.yaml` in `dir`, sorted. */
export function knownStacks(dir = ROOT): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}
