/**
 * Recording a registration the way the engine would see it: its URN (parent type qualified, as the
 * engine builds it), the resource options that matter to a reviewer, and the URNs each input
 * property depends on, read from the program's Outputs.
 */
import type * as pulumi from "@pulumi/pulumi";
import { resourcesOf } from "./outputs";
import type { RecordedResource } from "./types";

/** Where a run keeps what it records. */
export interface Recording {
    stack: string;
    project: string;
    /** Every registration, in order. */
    resources: RecordedResource[];
    /** A record by `<type>::<name>`, for the mock provider to fill in inputs and state. */
    byKey: Map<string, RecordedResource>;
    /** The URN of each registered resource object, for parents and dependencies. */
    urnOf: WeakMap<object, string>;
}

/** Records one registration (a stack transformation that changes nothing). */
export function recordRegistration(args: pulumi.ResourceTransformationArgs, run: Recording): undefined {
    const parentUrn = args.opts.parent ? run.urnOf.get(args.opts.parent) : undefined;
    // Like the engine: the root stack's type is not part of its children's URNs.
    const parentType = parentUrn?.split("::")[2];
    const qualified =
        parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${args.type}` : args.type;
    const urn = `urn:pulumi:${run.stack}::${run.project}::${qualified}::${args.name}`;
    run.urnOf.set(args.resource, urn);
    const dependsOn = ([] as unknown[])
        .concat(args.opts.dependsOn ?? [])
        .map((d) => run.urnOf.get(d as object))
        .filter((u): u is string => !!u);
    const o = args.opts as pulumi.CustomResourceOptions;
    const rec: RecordedResource = {
        urn,
        type: args.type,
        name: args.name,
        parent: parentUrn,
        inputs: {},
        state: {},
        propertyDependencies: {},
        dependencies: dependsOn,
        options: {
            ...(o.ignoreChanges?.length ? { ignoreChanges: [...o.ignoreChanges] } : {}),
            ...(o.protect ? { protect: true } : {}),
            ...(dependsOn.length ? { dependsOn } : {}),
            ...(o.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
            ...(o.additionalSecretOutputs?.length
                ? { additionalSecretOutputs: [...o.additionalSecretOutputs] }
                : {}),
            ...(o.customTimeouts ? { customTimeouts: { ...o.customTimeouts } } : {}),
        },
    };
    run.resources.push(rec);
    run.byKey.set(`${args.type}::${args.name}`, rec);
    for (const [key, value] of Object.entries(args.props ?? {})) {
        const urns = [...resourcesOf(value)]
            .map((d) => run.urnOf.get(d))
            .filter((u): u is string => !!u && u !== urn);
        if (urns.length > 0) {
            rec.propertyDependencies[key] = [...new Set(urns)];
            rec.dependencies = [...new Set([...rec.dependencies, ...urns])];
        }
    }
    return undefined;
}
