/**
 * Test helpers over the offline engine (scripts/offline.ts): run a stack under mocks once per
 * test file (the Pulumi runtime is process-global) and query the recorded resources by type.
 */
import { runPlan } from "../scripts/plan-process";
import {
    runOffline,
    redact,
    unwrap,
    isSecretValue,
    type OfflineOptions,
    type OfflineResult,
    type RecordedResource,
} from "../scripts/offline";

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
        if (found.length !== 1)
            throw new Error(
                `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`,
            );
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

export type { PlanRun as CliResult } from "../scripts/plan-process";

/** `npm run plan -- <args>` as a user runs it (the same loader), in a child process. */
export const planCli = runPlan;
