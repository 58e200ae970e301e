/**
 * Images: built for every platform (SD-001: a CI runner builds amd64 only for an arm64 VM, an ARM
 * laptop builds arm64 only for amd64 Cloud Run), referenced by digest (SD-004: a tag can move),
 * holding the CPU each workload runs on (SD-002), and never built in production (SD-005).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import { ofType, ofTypes, type PolicyOptions } from "./common";
import {
    PINNED,
    WORKLOAD_TYPES,
    isProduction,
    productionSchema,
    schemaOf,
    vmFlags,
    workloadsOf,
    type Contracts,
    contractsSchema,
    contractsOf,
} from "./lib";

export const DEFAULT_PLATFORMS = ["linux/amd64", "linux/arm64"];

export function imageMultiArch(
    name = "image-multi-arch",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description: "Image builds list every required platform (default linux/amd64 and linux/arm64).",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({
            requiredPlatforms: { type: "array", items: { type: "string" }, default: DEFAULT_PLATFORMS },
        }),
        validateResource: [
            ofType("docker-build:index:Image", (props, args, report) => {
                const required =
                    args.getConfig<{ requiredPlatforms?: string[] }>().requiredPlatforms ?? DEFAULT_PLATFORMS;
                const platforms: string[] = props.platforms ?? [];
                const missing = required.filter((p) => !platforms.includes(p));
                if (missing.length > 0) {
                    report(
                        cite(
                            "SD-001",
                            `docker-build Image "${args.name}" builds ${platforms.length ? platforms.join(", ") : "only the builder's own platform"}; add ${missing.join(", ")} (platforms: [${required.map((p) => `"${p}"`).join(", ")}]).`,
                        ),
                    );
                }
            }),
            ofType("docker:index/image:Image", (props, args, report) => {
                const required =
                    args.getConfig<{ requiredPlatforms?: string[] }>().requiredPlatforms ?? DEFAULT_PLATFORMS;
                report(
                    cite(
                        "SD-001",
                        `@pulumi/docker Image "${args.name}" builds a single platform (${props.build?.platform ?? "the builder's own"}); build with @pulumi/docker-build's Image and platforms [${required.map((p) => `"${p}"`).join(", ")}].`,
                    ),
                );
            }),
        ],
    };
}

export function imageDigestPinned(
    name = "image-digest-pinned",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description:
            "Every workload image is referenced by @sha256: digest; a tag alone, whatever its name, can move.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        validateResource: ofTypes(Object.values(WORKLOAD_TYPES), (props, args, report) => {
            for (const w of workloadsOf(args.type, props)) {
                if (!PINNED.test(w.image)) {
                    report(
                        cite(
                            "SD-004",
                            `${w.target} "${args.name}": container "${w.service}" uses image "${w.image}", which is not pinned; use <repository>@sha256:<digest> (the digest that ran in staging).`,
                        ),
                    );
                }
            }
        }),
    };
}

/** Platforms a component stamped on a workload: AWS tag, GCP label, or VM flag. */
export function stampedPlatforms(type: string, props: Record<string, any>): string[] | undefined {
    const tag = props.tags?.["service-deploy:image-platforms"];
    // Space-separated (ECS tag values allow no comma); a comma-separated stamp from before is read too.
    if (typeof tag === "string") return tag.split(/[\s,]+/).filter(Boolean);
    const label = props.labels?.["image-platforms"] ?? props.template?.labels?.["image-platforms"];
    if (typeof label === "string")
        return label
            .split("_")
            .filter(Boolean)
            .map((p: string) => p.replace("-", "/"));
    if (type === WORKLOAD_TYPES.vm && typeof props.create === "string")
        return vmFlags(props.create)["image-platforms"]?.[0]?.split(",");
    return undefined;
}

/** The platform a workload runs on. Pure. */
export function workloadPlatform(
    type: string,
    props: Record<string, any>,
    contracts: Contracts,
): { platform: string; why: string } | undefined {
    if (type === WORKLOAD_TYPES.ecs) {
        const arch = props.runtimePlatform?.cpuArchitecture ?? "X86_64";
        return {
            platform: arch === "ARM64" ? "linux/arm64" : "linux/amd64",
            why: `runtimePlatform.cpuArchitecture ${arch}${props.runtimePlatform?.cpuArchitecture ? "" : " (the default)"}`,
        };
    }
    if (type === WORKLOAD_TYPES.cloudRun)
        return { platform: "linux/amd64", why: "Cloud Run runs linux/amd64 only" };
    if (type === WORKLOAD_TYPES.vm && typeof props.create === "string") {
        const f = vmFlags(props.create);
        if (!f.service) return undefined;
        const arch = f.arch?.[0] ?? contracts[f.service[0]]?.architecture ?? "arm64";
        return { platform: `linux/${arch}`, why: `the VM host is ${arch}` };
    }
    return undefined;
}

export function imagePlatformMatchesTarget(
    name = "image-platform-matches-target",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description:
            "Each workload's CPU is among its image's platforms (ECS runtimePlatform, Cloud Run amd64, the VM's architecture).",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({ contracts: contractsSchema }),
        validateResource: ofTypes(Object.values(WORKLOAD_TYPES), (props, args, report) => {
            const runsOn = workloadPlatform(args.type, props, contractsOf(args));
            if (!runsOn) return;
            const platforms = stampedPlatforms(args.type, props);
            if (!platforms) {
                return args.notApplicable(
                    "the image's platforms are not stamped on this workload (service-deploy components stamp them)",
                );
            }
            if (!platforms.includes(runsOn.platform)) {
                report(
                    cite(
                        "SD-002",
                        `"${args.name}" runs on ${runsOn.platform} (${runsOn.why}) but its image holds only ${platforms.join(", ") || "no platform"}; rebuild the image for ${[...new Set([...platforms, runsOn.platform])].sort().join(",")} or run it on a matching CPU; without this the host says "no matching manifest for linux/arm64/v8" or "exec format error".`,
                    ),
                );
            }
        }),
    };
}

/**
 * Production builds nothing: it runs the digest that ran healthy in staging. An image build in a
 * production stack would ship bytes nobody tested.
 */
export function productionBuildsNothing(
    name = "production-builds-nothing",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description: "A production stack builds no image; it deploys the digest promoted from staging.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({ ...productionSchema }),
        validateResource: ofTypes(
            ["docker-build:index:Image", "docker:index/image:Image"],
            (_props, args, report) => {
                if (!isProduction(args))
                    return args.notApplicable(
                        "not a production stack (policy config production, or stack tag environment)",
                    );
                report(
                    cite(
                        "SD-005",
                        `image build "${args.name}" in a production stack: production deploys the digest that ran healthy in staging; set the service's image.ref to it instead of building.`,
                    ),
                );
            },
        ),
    };
}
