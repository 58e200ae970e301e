/**
 * Shared pieces of the pack: the contract the pack is given through policy config, how a policy
 * decides it is guarding production, and readers for the workload resources each target creates.
 * Everything here is pure over plain JSON (what CrossGuard hands a policy).
 */
import type { PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { distance } from "../components/edit-distance";

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

const URL_PARTS = ["HOST", "PORT", "NAME", "USER", "USERNAME", "PASSWORD", "DB", "DATABASE"];

/**
 * What a target sets instead of a missing variable: the parts of a missing `X_URL` (X_HOST, X_NAME...),
 * the URL of missing parts, or a near-identical name (DB_URL for DATABASE_URL). Pure.
 */
export function nearMiss(missing: string, present: string[]): string | undefined {
    const others = present.filter((p) => p !== missing);
    const url = /^(.*)_URL$/.exec(missing);
    if (url) {
        const parts = others.filter(
            (p) => p.startsWith(`${url[1]}_`) && URL_PARTS.includes(p.slice(url[1].length + 1)),
        );
        if (parts.length > 0)
            return `${parts.join("/")} ${parts.length === 1 ? "is" : "are"} set instead: the app reads the full URL ${missing}, not its parts`;
    }
    const part = /^(.*)_([A-Z]+)$/.exec(missing);
    if (part && URL_PARTS.includes(part[2]) && others.includes(`${part[1]}_URL`)) {
        return `${part[1]}_URL is set instead: the app reads the part ${missing}, not the URL`;
    }
    const close = others
        .filter((p) => distance(p, missing) <= Math.max(2, Math.floor(missing.length / 4)))
        .sort((a, b) => distance(a, missing) - distance(b, missing));
    if (close.length > 0) return `${close[0]} is set; did you mean ${missing}?`;
    const abbreviated = others.filter((p) => abbreviates(p, missing) || abbreviates(missing, p));
    if (abbreviated.length > 0) return `${abbreviated[0]} is set; did you mean ${missing}?`;
    const sameSuffix = others.filter(
        (p) =>
            p.split("_").slice(-2).join("_") === missing.split("_").slice(-2).join("_") &&
            missing.includes("_"),
    );
    if (sameSuffix.length > 0) return `${sameSuffix[0]} is set; did you mean ${missing}?`;
    return undefined;
}

/** `DB_URL` abbreviates `DATABASE_URL`: same segments, each equal or a same-initial subsequence. Pure. */
export function abbreviates(short: string, long: string): boolean {
    const a = short.split("_"),
        b = long.split("_");
    if (a.length !== b.length || short === long) return false;
    return a.every(
        (seg, i) =>
            seg === b[i] || (seg.length < b[i].length && seg[0] === b[i][0] && isSubsequence(seg, b[i])),
    );
}

function isSubsequence(a: string, b: string): boolean {
    let j = 0;
    for (const ch of b) if (ch === a[j]) j++;
    return j === a.length;
}

/** Does a plain value look like a credential? Returns why, or undefined. Pure. */
export function credentialLike(name: string, value: string): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) return "a URL with user:password@";
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return "a private key";
    if (/(^|_)(PASSWORD|SECRET|TOKEN|KEY)$/.test(name) && value.length > 0)
        return `a name ending in _${/(PASSWORD|SECRET|TOKEN|KEY)$/.exec(name)![1]}`;
    return undefined;
}

/** What the app declares it reads, per variable (the label's flags). */
export type DeclaredEnv = Record<string, { secret?: boolean; optional?: boolean }>;

/**
 * Variables Cloud Run itself sets in every container, so they count as set there: the container
 * runtime contract's reserved names ("In particular, the PORT environment variable is injected
 * inside your container by Cloud Run. You should not set it yourself.",
 * https://cloud.google.com/run/docs/configuring/services/environment-variables#reserved-names;
 * K_SERVICE, K_REVISION, K_CONFIGURATION per https://cloud.google.com/run/docs/container-contract#env-vars).
 */
export const CLOUD_RUN_PROVIDED = ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"] as const;

export type DeclarationFinding =
    | { kind: "missing"; variable: string; hint?: string }
    | { kind: "secret-in-plain"; variable: string }
    | { kind: "unread"; variable: string };

/**
 * A target's env against the app's declaration: every variable the app reads and does not mark
 * optional is set (or provided by the platform), with the near miss when one is set instead; a
 * declared secret is never set in plain; a variable set but never read is reported as unread
 * (a warning for callers). Sorted by variable. Pure.
 */
export function declarationFindings(
    declared: DeclaredEnv,
    set: { plain: string[]; secret: string[] },
    provided: readonly string[] = [],
): DeclarationFinding[] {
    const present = [...set.plain, ...set.secret];
    const out: DeclarationFinding[] = [];
    for (const v of Object.keys(declared).sort()) {
        const d = declared[v];
        if (set.plain.includes(v)) {
            if (d.secret) out.push({ kind: "secret-in-plain", variable: v });
            continue;
        }
        if (set.secret.includes(v) || provided.includes(v) || d.optional) continue;
        out.push({ kind: "missing", variable: v, hint: nearMiss(v, present) });
    }
    for (const v of [...new Set(present)].sort())
        if (!(v in declared)) out.push({ kind: "unread", variable: v });
    return out;
}
