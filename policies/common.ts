/**
 * Policy plumbing: a typed-by-token validator (like @pulumi/policy's validateResourceOfType, with
 * the same `__pulumiType` tag the engine uses to skip other types without a call), and the
 * factory options every policy takes.
 */
import type {
    EnforcementLevel,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
} from "@pulumi/policy";

export interface PolicyOptions {
    /** @default "mandatory" */
    enforcementLevel?: EnforcementLevel;
}

/**
 * Validate only resources of one type token. Tokens instead of provider classes keep the pack
 * free of provider SDKs (it guards AWS, GCP and VM stacks alike); the engine's fast path reads
 * `__pulumiType` the same way (policy.ts getPulumiType).
 */
export function ofType(
    type: string,
    validate: (
        props: Record<string, any>,
        args: ResourceValidationArgs,
        report: ReportViolation,
    ) => void | Promise<void>,
): ResourceValidation {
    const fn: ResourceValidation & { __pulumiType?: string } = (args, report) => {
        if (args.type !== type) return;
        return validate(args.props, args, report);
    };
    fn.__pulumiType = type;
    return fn;
}

/** Validate resources of any of several types (no fast path: the engine calls it for every resource). */
export function ofTypes(
    types: readonly string[],
    validate: (
        props: Record<string, any>,
        args: ResourceValidationArgs,
        report: ReportViolation,
    ) => void | Promise<void>,
): ResourceValidation {
    return (args, report) => (types.includes(args.type) ? validate(args.props, args, report) : undefined);
}
