/**
 * Evaluates a CrossGuard pack over the offline graph the way the Pulumi engine and
 * @pulumi/policy's analyzer server (server.js, 1.21) do:
 * - enforcement level: the policy's policy-config level, else the policy's own, else the pack's
 *   (advisory by default); `disabled` skips, `remediate` reports as mandatory;
 * - resource policies see each resource's inputs with secrets unwrapped, behind
 *   `unknownCheckingProxy`; a policy that touches an unknown value yields an advisory
 *   "can't run ... during preview" instead of a verdict; `notApplicable` skips;
 * - a validation function tagged with `__pulumiType` is only called for that type;
 * - stack policies see every resource's outputs, with parent, dependencies and
 *   propertyDependencies resolved to the resource objects;
 * - `getConfig()` returns the policy's config without `enforcementLevel`, over the defaults of
 *   its configSchema (the CLI fills those in before the pack runs).
 */
import type {
    EnforcementLevel,
    Policy,
    PolicyPackConfig,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";

// @pulumi/policy's own proxy, so unknown values fail exactly as they do under the engine.
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(v: T): T;
    UnknownValueError: new (...a: any[]) => Error;
};

export interface GraphResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    /** Inputs (plain JSON, secrets unwrapped; unknowns as the engine's sentinel strings). */
    props: Record<string, any>;
    /** Outputs, for stack policies. */
    state: Record<string, any>;
    options: {
        ignoreChanges?: string[];
        protect?: boolean;
        additionalSecretOutputs?: string[];
        deleteBeforeReplace?: boolean;
    };
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
}

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    urn?: string;
    message: string;
}

export interface EvaluateOptions {
    config?: PolicyPackConfig;
    stackTags?: Record<string, string>;
    /** @default "advisory" (as @pulumi/policy's PolicyPack) */
    packEnforcementLevel?: EnforcementLevel;
}

export interface Evaluation {
    violations: Violation[];
    policies: { name: string; enforcementLevel: EnforcementLevel }[];
    notApplicable: { policy: string; urn?: string; reason?: string }[];
}

class NotApplicable extends Error {
    constructor(public readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}
const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** A resource class's type token, as @pulumi/policy's getPulumiType reads it. */
const typeOf = (cls: unknown) => (cls as { __pulumiType?: string } | undefined)?.__pulumiType;

const isStack = (p: Policy): p is StackValidationPolicy =>
    typeof (p as StackValidationPolicy).validateStack === "function";

function levelOf(p: Policy, config: PolicyPackConfig, pack: EnforcementLevel): EnforcementLevel {
    const c = config[p.name];
    const fromConfig = typeof c === "string" ? c : c?.enforcementLevel;
    return fromConfig || p.enforcementLevel || pack;
}

function configOf(p: Policy, config: PolicyPackConfig): Record<string, unknown> {
    const defaults = Object.fromEntries(
        Object.entries(p.configSchema?.properties ?? {})
            .filter(([, s]) => (s as { default?: unknown }).default !== undefined)
            .map(([k, s]) => [k, (s as { default?: unknown }).default]),
    );
    const c = config[p.name];
    if (!c || typeof c === "string") return defaults;
    const { enforcementLevel: _ignored, ...rest } = c;
    return { ...defaults, ...rest };
}

/** Refuses config for policies the pack does not have, as a typo would otherwise silently do nothing. */
export function checkPackConfig(policies: Policy[], config: PolicyPackConfig): string[] {
    const names = policies.map((p) => p.name);
    return Object.keys(config)
        .filter((k) => !names.includes(k))
        .map(
            (k) =>
                `policy config names "${k}", which is not a policy of this pack (policies: ${names.join(", ")})`,
        );
}

export async function evaluatePack(
    policies: Policy[],
    resources: GraphResource[],
    opts: EvaluateOptions = {},
): Promise<Evaluation> {
    const config = opts.config ?? {};
    const pack = opts.packEnforcementLevel ?? "advisory";
    const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(opts.stackTags ?? {}));
    const violations: Violation[] = [];
    const skipped: Evaluation["notApplicable"] = [];

    const run = async (
        p: Policy,
        level: EnforcementLevel,
        urn: string | undefined,
        fn: (report: (message: string, urn?: string) => void) => unknown,
    ) => {
        const report = (message: string, reportedUrn?: string) =>
            violations.push({ policy: p.name, enforcementLevel: level, urn: urn ?? reportedUrn, message });
        try {
            await fn(report);
        } catch (e) {
            if (e instanceof proxy.UnknownValueError)
                violations.push({
                    policy: p.name,
                    enforcementLevel: "advisory",
                    urn,
                    message: `can't run policy '${p.name}' during preview: ${e.message}`,
                });
            else if (e instanceof NotApplicable) skipped.push({ policy: p.name, urn, reason: e.reason });
            else
                throw new Error(
                    `Error validating ${urn ?? "the stack"} with policy '${p.name}': ${(e as Error).stack ?? e}`,
                );
        }
    };

    for (const p of policies) {
        let level = levelOf(p, config, pack);
        if (level === "disabled") continue;
        if (level === "remediate") level = "mandatory";
        const getConfig = <T extends object>() => configOf(p, config) as T;
        if (isStack(p)) {
            const objects = new Map<string, PolicyResource>();
            for (const r of resources) {
                objects.set(r.urn, {
                    type: r.type,
                    name: r.name,
                    urn: r.urn,
                    props: proxy.unknownCheckingProxy(r.state),
                    opts: {
                        ...r.options,
                        aliases: [],
                        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                        additionalSecretOutputs: r.options.additionalSecretOutputs ?? [],
                        ignoreChanges: r.options.ignoreChanges ?? [],
                        protect: r.options.protect ?? false,
                        parent: r.parent,
                    },
                    dependencies: [],
                    propertyDependencies: {},
                    isType: (cls: unknown) => typeOf(cls) === r.type,
                    asType: (cls: unknown) =>
                        typeOf(cls) === r.type ? proxy.unknownCheckingProxy(r.state) : undefined,
                } as unknown as PolicyResource);
            }
            for (const r of resources) {
                const o = objects.get(r.urn)!;
                if (r.parent && objects.has(r.parent)) o.parent = objects.get(r.parent);
                o.dependencies = r.dependencies
                    .map((d) => objects.get(d))
                    .filter((d): d is PolicyResource => !!d);
                for (const [k, v] of Object.entries(r.propertyDependencies))
                    o.propertyDependencies[k] = v
                        .map((d) => objects.get(d))
                        .filter((d): d is PolicyResource => !!d);
            }
            await run(p, level, undefined, (report) =>
                p.validateStack(
                    { resources: [...objects.values()], getConfig, stackTags, notApplicable },
                    report,
                ),
            );
            continue;
        }
        const rp = p as ResourceValidationPolicy;
        const validations =
            rp.validateResource === undefined
                ? []
                : Array.isArray(rp.validateResource)
                  ? rp.validateResource
                  : [rp.validateResource];
        for (const r of resources) {
            for (const v of validations) {
                const only = (v as { __pulumiType?: string }).__pulumiType;
                if (only && only !== r.type) continue;
                const props = proxy.unknownCheckingProxy(r.props);
                await run(p, level, r.urn, (report) =>
                    v(
                        {
                            type: r.type,
                            props,
                            urn: r.urn,
                            name: r.name,
                            opts: {
                                ...r.options,
                                aliases: [],
                                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                                additionalSecretOutputs: r.options.additionalSecretOutputs ?? [],
                                ignoreChanges: r.options.ignoreChanges ?? [],
                                protect: r.options.protect ?? false,
                                parent: r.parent,
                            },
                            stackTags,
                            getConfig,
                            notApplicable,
                            isType: (cls: unknown) => typeOf(cls) === r.type,
                            asType: (cls: unknown) => (typeOf(cls) === r.type ? props : undefined),
                        } as never,
                        (message: string) => report(message),
                    ),
                );
            }
        }
    }
    return {
        violations,
        policies: policies.map((p) => ({ name: p.name, enforcementLevel: levelOf(p, config, pack) })),
        notApplicable: skipped,
    };
}
