/**
 * Shared pieces of the pack: the contract the pack is given through policy config, how a policy
 * decides it is guarding production, and readers for the workload resources each target creates.
 * Everything here is pure over plain JSON (what CrossGuard hands a policy).
 */
import type { PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/** The pack's one declaration of each service, passed as policy config (docs/policies.md#its-config). */
export interface ServiceContract {
    /** Env vars the app reads, each "plain" or "secret". */
    env: Record<string, "plain" | "secret">;
    /** Health paths. @default liveness /liveness, readiness /readiness, health /health */
    health?: { liveness?: string; readiness?: string; health?: string };
    /** CPU the service runs on (VM target). @default "arm64" */
    architecture?: "amd64" | "arm64";
    /**
     * What the app itself declares it reads (its `.env.example`, or its image's label), per
     * variable. When absent the app's declaration could not be read, and only `env` is checked.
     * @default undefined
     */
    reads?: Record<string, { secret?: boolean; optional?: boolean }>;
}

export type Contracts = Record<string, ServiceContract>;

export const contractsSchema = {
    type: "object",
    description:
        "Service name -> { env: { VAR: plain|secret }, health?, architecture?, reads? }. Generated from the stack config and the app's env declaration by `npm run policy-config`.",
    additionalProperties: {
        type: "object",
        properties: {
            env: { type: "object", additionalProperties: { type: "string", enum: ["plain", "secret"] } },
            health: {
                type: "object",
                properties: {
                    liveness: { type: "string" },
                    readiness: { type: "string" },
                    health: { type: "string" },
                },
            },
            architecture: { type: "string", enum: ["amd64", "arm64"] },
            reads: {
                type: "object",
                additionalProperties: {
                    type: "object",
                    properties: { secret: { type: "boolean" }, optional: { type: "boolean" } },
                },
            },
        },
        required: ["env"],
    },
    default: {},
} as const;

/** Config keys every production-aware policy accepts. */
export const productionSchema = {
    production: {
        type: "boolean",
        default: false,
        description: "This stack is production (set in the stack's policy config file).",
    },
    productionEnvironments: {
        type: "array",
        items: { type: "string" },
        default: ["production"],
        description: "Values of the stack tag `environment` that mean production.",
    },
} as const;

export interface ProductionConfig {
    production?: boolean;
    productionEnvironments?: string[];
}

/**
 * Whether the stack being checked is production: policy config `production: true`, or the stack
 * tag `environment` naming a production environment. Never the stack name.
 */
export function isProduction(
    args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig" | "stackTags">,
): boolean {
    const c = args.getConfig<ProductionConfig>();
    if (c.production === true) return true;
    const env = args.stackTags.get("environment");
    return env !== undefined && (c.productionEnvironments ?? ["production"]).includes(env);
}

/** The service contracts a policy was configured with. */
export function contractsOf(args: Pick<ResourceValidationArgs, "getConfig">): Contracts {
    return args.getConfig<{ contracts?: Contracts }>().contracts ?? {};
}

export function schemaOf(properties: Record<string, unknown>): PolicyConfigSchema {
    return { properties: properties as PolicyConfigSchema["properties"] };
}

/** A digest-pinned image reference. */
export const PINNED = /@sha256:[a-f0-9]{64}$/;

/** One workload container as each target declares it, normalized. */
export interface Workload {
    /** e.g. "ECS task definition", "Cloud Run service", "VM deploy". */
    target: string;
    /** Service (container) name. */
    service: string;
    image: string;
    /** Plain env: name -> value. */
    plain: Record<string, string>;
    /** Env delivered through a secret reference: names only. */
    secretRefs: string[];
}

/** Containers of an ECS task definition's `containerDefinitions` (a JSON string). */
export function ecsWorkloads(props: Record<string, any>): Workload[] {
    const defs =
        typeof props.containerDefinitions === "string"
            ? JSON.parse(props.containerDefinitions)
            : props.containerDefinitions;
    return (defs ?? []).map((c: any) => ({
        target: "ECS task definition",
        service: String(c.name),
        image: String(c.image ?? ""),
        plain: Object.fromEntries(
            (c.environment ?? []).map((e: any) => [String(e.name), String(e.value ?? "")]),
        ),
        secretRefs: (c.secrets ?? []).map((s: any) => String(s.name)),
    }));
}

/**
 * Containers of a Cloud Run v2 service (`template.containers`). Cloud Run sets PORT itself, to the
 * container port (https://cloud.google.com/run/docs/container-contract#port), and refuses a
 * revision that sets it, so a container port counts as PORT being set.
 */
export function cloudRunWorkloads(props: Record<string, any>): Workload[] {
    return (props.template?.containers ?? []).map((c: any, i: number) => ({
        target: "Cloud Run service",
        service: String(c.name ?? props.name ?? `container-${i}`),
        image: String(c.image ?? ""),
        plain: Object.fromEntries([
            ...(c.ports?.containerPort !== undefined ? [["PORT", String(c.ports.containerPort)]] : []),
            ...(c.envs ?? [])
                .filter((e: any) => e.value !== undefined)
                .map((e: any) => [String(e.name), String(e.value)]),
        ]),
        secretRefs: (c.envs ?? [])
            .filter((e: any) => e.valueSource?.secretKeyRef)
            .map((e: any) => String(e.name)),
    }));
}

/**
 * The VM target's deploy command (a @pulumi/command `remote.Command`) carries its facts as
 * `--flag=value` words in `create`: `--service`, `--image`, `--arch`, `--readiness-path`,
 * `--env-plain=NAME` (repeated) and `--env-secret=NAME` (repeated; values travel in a 0600 env
 * file, never on the command line).
 */
export function vmFlags(create: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const m of create.matchAll(/--([a-z-]+)=(\S+)/g)) {
        out[m[1]] ??= [];
        out[m[1]].push(m[2].replace(/^'(.*)'$/, "$1"));
    }
    return out;
}

/**
 * The host script's deploy call as the program writes it (components/vm/commands.ts quotes every
 * path: `sh '/opt/service-deploy/api/service-deploy.sh' deploy --service='api' ...`), and as a
 * hand-written command may (unquoted, double-quoted, run directly). Pure.
 */
export const VM_DEPLOY_CALL = /service-deploy\.sh['"]?\s+deploy(\s|$)/;

export function vmWorkloads(props: Record<string, any>): Workload[] {
    const create = typeof props.create === "string" ? props.create : "";
    if (!VM_DEPLOY_CALL.test(create)) return [];
    const f = vmFlags(create);
    return [
        {
            target: "VM deploy",
            service: f.service?.[0] ?? "",
            image: f.image?.[0] ?? "",
            plain: Object.fromEntries((f["env-plain"] ?? []).map((n) => [n, "(set)"])),
            secretRefs: f["env-secret"] ?? [],
        },
    ];
}

export const WORKLOAD_TYPES = {
    ecs: "aws:ecs/taskDefinition:TaskDefinition",
    cloudRun: "gcp:cloudrunv2/service:Service",
    vm: "command:remote:Command",
} as const;

/** Workloads of any resource the pack knows, or [] for others. */
export function workloadsOf(type: string, props: Record<string, any>): Workload[] {
    if (type === WORKLOAD_TYPES.ecs) return ecsWorkloads(props);
    if (type === WORKLOAD_TYPES.cloudRun) return cloudRunWorkloads(props);
    if (type === WORKLOAD_TYPES.vm) return vmWorkloads(props);
    return [];
}

// The env rules the program checks at config parse and the pack checks at preview are one code,
// in the program's components (components/env-rules.ts), so the two can never disagree.
export {
    abbreviates,
    CLOUD_RUN_PROVIDED,
    credentialLike,
    type DeclarationFinding,
    type DeclaredEnv,
    declarationFindings,
    nearMiss,
} from "../components/env-rules";
