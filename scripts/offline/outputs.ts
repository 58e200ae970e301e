/**
 * Reading a run's values: assets settled, the resources an input depends on, the exports
 * resolved (secrets kept as "[secret]"), and the recorded resources as the policy engine sees them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { GraphResource } from "../policy-engine";
import { unwrap } from "./stack-file";
import type { OfflineResult } from "./types";

/** A copy of `v` with every asset's promised `text` or `path` resolved. */
export async function settleAssets(v: unknown): Promise<unknown> {
    if (v instanceof Promise) return settleAssets(await v);
    if (Array.isArray(v)) return Promise.all(v.map(settleAssets));
    if (v && typeof v === "object") {
        const entries = await Promise.all(
            Object.entries(v).map(async ([k, x]) => [k, await settleAssets(x)] as const),
        );
        return Object.fromEntries(entries);
    }
    return v;
}

/**
 * Every resource an input value (an Output, or a structure holding Outputs) depends on, read
 * synchronously from the Outputs (`resources()`: what `apply`, `all` and `output` carried along).
 * Not `allResources()`: that waits for the value, and never settles when the program failed.
 */
export function resourcesOf(v: unknown, depth = 0): Set<object> {
    const out = new Set<object>();
    if (depth > 20 || v === null || v === undefined || typeof v !== "object") return out;
    if (pulumi.Output.isInstance(v)) {
        for (const r of (v as unknown as { resources(): Set<object> }).resources()) out.add(r);
        return out;
    }
    if (pulumi.Resource.isInstance(v) || v instanceof Promise) return out;
    for (const x of Array.isArray(v) ? v : Object.values(v))
        for (const r of resourcesOf(x, depth + 1)) out.add(r);
    return out;
}

/** Resolve exported Outputs to plain values, keeping secrets as "[secret]". */
export async function resolveOutputs(v: unknown): Promise<any> {
    if (pulumi.Output.isInstance(v)) {
        const o = v as pulumi.Output<unknown>;
        // `promise()` is the Output's own (internal) promise: unlike a callback in `apply`, it
        // rejects when the program's apply throws (e.g. an image missing a platform).
        const [value, secret] = await Promise.all([
            (o as unknown as { promise(): Promise<unknown> }).promise(),
            pulumi.isSecret(o),
        ]);
        return secret ? "[secret]" : resolveOutputs(value);
    }
    if (Array.isArray(v)) return Promise.all(v.map(resolveOutputs));
    if (v && typeof v === "object" && !(v instanceof pulumi.Resource)) {
        const entries = await Promise.all(
            Object.entries(v).map(async ([k, x]) => [k, await resolveOutputs(x)] as const),
        );
        return Object.fromEntries(entries.filter(([, x]) => x !== undefined));
    }
    return v;
}

/** The recorded resources as the policy engine sees them: inputs unwrapped, outputs, dependencies. */
export function policyGraph(result: OfflineResult): GraphResource[] {
    return result.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        props: unwrap(r.inputs) as Record<string, any>,
        state: r.state as Record<string, any>,
        options: r.options,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
    }));
}
