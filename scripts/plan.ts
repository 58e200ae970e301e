/**
 * The offline plan: `npm run plan -- --stack <name> [--config <file>] [--json]`.
 * Runs index.ts under mocks with the stack's config and prints the resource tree with its key
 * inputs (secrets as [secret]) and what could not be verified offline.
 * The policy pack (policies/) is evaluated over the graph with the engine's semantics; its config
 * is generated from the stack config (as `npm run policy-config` writes it), or read from
 * `--policy-config <file>` (the format of `pulumi preview --policy-pack-config`); `--stack-tag k=v`
 * sets stack tags the policies see. Mandatory violations exit 1. `--program <file.ts>` runs another
 * program instead of index.ts (the pack guarding another project; test fixtures use it).
 * `--registry <file.json>` says what the registry would answer for image references, offline:
 * `{ "<repository or full ref>": ["linux/amd64", ...] }` (default: amd64 + arm64 for every ref), or per
 * full ref `{ "platforms": [...], "labels": { "dev.service-deploy.env": "..." } }`: the image's env
 * declaration label, which holds the stack to what the app reads (docs/env-contract.md).
 * `--mermaid` prints only the resource graph as a Mermaid flowchart (scripts/mermaid.ts), no fence.
 * Exit codes: 0 fine; 1 the program failed (e.g. an image lacks a platform); 2 invalid config or
 * arguments.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../components/config";
import type { PolicyPackConfig } from "@pulumi/policy";
import {
    ROOT,
    policyGraph,
    redact,
    runOffline,
    type Manifest,
    type OfflineResult,
    type RecordedResource,
} from "./offline";
import { checkPackConfig, evaluatePack, type Evaluation } from "./policy-engine";
import { contextOnly, policyConfigFor, stackConfigOf, type DeclarationLookup } from "./policy-config";
import { ENV_LABEL, declarationFromLabels, envAgainstDeclaration } from "../components/contract";
import { policies } from "../policies/policies";
import { renderMermaid } from "./mermaid";
import { knownStacks } from "./plan-process";
import { checkConformance, renderFindings, type Finding } from "./conformance";

export interface PlanArgs {
    stack: string;
    config?: string;
    json: boolean;
    mermaid: boolean;
    registry?: string;
    policyConfig?: string;
    program?: string;
    stackTags: Record<string, string>;
    /** `pulumi stack output --json` of the stack's last update (what a self StackReference reads). */
    lastOutputs?: string;
}

export function parseArgs(argv: string[]): PlanArgs {
    const out: Partial<PlanArgs> = { json: false, mermaid: false, stackTags: {} };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack") out.stack = value();
        else if (a === "--config") out.config = value();
        else if (a === "--json") out.json = true;
        else if (a === "--mermaid") out.mermaid = true;
        else if (a === "--registry") out.registry = value();
        else if (a === "--policy-config") out.policyConfig = value();
        else if (a === "--program") out.program = value();
        else if (a === "--last-outputs") out.lastOutputs = value();
        else if (a === "--stack-tag") {
            const m = /^([^=]+)=(.*)$/.exec(value());
            if (!m) throw new UsageError("--stack-tag takes key=value");
            out.stackTags![m[1]] = m[2];
        } else throw new UsageError(`unknown argument ${a}`);
    }
    if (!out.stack) throw new UsageError("--stack <name> is required");
    if (out.json && out.mermaid)
        throw new UsageError("--json and --mermaid are two output formats: pass one");
    if (out.program && (!out.policyConfig || !out.config))
        throw new UsageError(
            "--program <file> needs --config <file> and --policy-config <file> (another program's stack config is not ours to read)",
        );
    return out as PlanArgs;
}

export class UsageError extends Error {}

export { knownStacks };

/** Key inputs worth a line in the tree, by type. */
const KEY_INPUTS: Record<string, string[]> = {
    "aws:ecs/service:Service": [
        "name",
        "desiredCount",
        "deploymentConfiguration",
        "alarms",
        "deploymentCircuitBreaker",
    ],
    "aws:ecs/taskDefinition:TaskDefinition": ["cpu", "memory", "runtimePlatform"],
    "aws:rds/instance:Instance": [
        "engineVersion",
        "instanceClass",
        "multiAz",
        "backupRetentionPeriod",
        "deletionProtection",
        "storageEncrypted",
        "publiclyAccessible",
        "password",
    ],
    "aws:lb/listener:Listener": ["port", "protocol", "sslPolicy"],
    "aws:lb/targetGroup:TargetGroup": ["port", "targetType", "healthCheck"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["name", "threshold", "evaluationPeriods"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
        "fromPort",
        "cidrIpv4",
        "cidrIpv6",
        "referencedSecurityGroupId",
    ],
    "aws:secretsmanager/secretVersion:SecretVersion": ["secretString"],
    "aws:secretsmanager/secret:Secret": ["recoveryWindowInDays"],
    "docker-build:index:Image": ["platforms", "tags"],
    "aws:ecr/repository:Repository": ["name", "imageTagMutability"],
};

function short(v: unknown): string {
    const s = JSON.stringify(v);
    return s.length > 140 ? `${s.slice(0, 137)}...` : s;
}

export function renderTree(result: OfflineResult): string {
    const children = new Map<string | undefined, RecordedResource[]>();
    const urns = new Set(result.resources.map((r) => r.urn));
    for (const r of result.resources) {
        const p = r.parent && urns.has(r.parent) ? r.parent : undefined;
        children.set(p, [...(children.get(p) ?? []), r]);
    }
    const lines: string[] = [
        `Offline plan of stack ${result.stack} (${path.relative(process.cwd(), result.file) || result.file}): ${result.resources.length} resources`,
    ];
    const walk = (parent: string | undefined, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            const opts = r.options.ignoreChanges
                ? `  [ignoreChanges: ${r.options.ignoreChanges.join(", ")}]`
                : "";
            lines.push(`${"  ".repeat(depth)}+ ${r.type}  ${r.name}${opts}`);
            const inputs = redact(r.inputs) as Record<string, unknown>;
            for (const k of KEY_INPUTS[r.type] ?? []) {
                if (inputs[k] !== undefined) lines.push(`${"  ".repeat(depth + 2)}${k}: ${short(inputs[k])}`);
            }
            walk(r.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    if (Object.keys(result.outputs).length)
        lines.push(
            "",
            "Outputs:",
            ...JSON.stringify(result.outputs, null, 2)
                .split("\n")
                .map((l) => `  ${l}`),
        );
    if (result.notes.length) lines.push("", "Not verified offline:", ...result.notes.map((n) => `  - ${n}`));
    return lines.join("\n");
}

export function renderEvaluation(e: Evaluation): string {
    const mandatory = e.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const lines = [
        "",
        `Policies: ${e.policies.length} evaluated, ${e.violations.length} violation${e.violations.length === 1 ? "" : "s"} (${mandatory} mandatory)`,
    ];
    for (const v of e.violations)
        lines.push(
            `  [${v.enforcementLevel}] ${v.policy}  ${v.urn ?? "(stack)"}`,
            `      ${v.message.split("\n").join("\n      ")}`,
        );
    return lines.join("\n");
}

export function toJson(
    result: OfflineResult,
    e: Evaluation,
    conformance: Finding[] = [],
    warnings: string[] = [],
) {
    return {
        stack: result.stack,
        resources: result.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            inputs: redact(r.inputs),
        })),
        violations: e.violations.map((v) => ({
            policy: v.policy,
            enforcementLevel: v.enforcementLevel,
            urn: v.urn ?? null,
            message: v.message,
        })),
        policies: e.policies,
        outputs: result.outputs,
        notes: result.notes,
        warnings,
        conformance: conformance.map((f) => ({ ...f, value: redact(f.value) })),
    };
}

function readPolicyConfig(file: string): PolicyPackConfig {
    if (!fs.existsSync(file)) throw new UsageError(`--policy-config ${file}: no such file`);
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`--policy-config ${file}: not JSON (${(e as Error).message})`);
    }
}

/**
 * A registry answer fixture, keyed by repository or full reference. Each value is either the
 * platforms (`["linux/amd64", "linux/arm64"]`, the original format) or
 * `{ "platforms": [...], "labels": { "<label>": "<value>" } }`: the image config's labels, of which
 * the plan reads `dev.service-deploy.env` (the app's env declaration, docs/env-contract.md).
 */
export interface RegistryFixture {
    manifests(ref: string): Manifest[];
    /** The image config's labels, or undefined when the file does not give them. */
    labels(ref: string): Record<string, string> | undefined;
}

const PLATFORM = /^[a-z]+\/[a-z0-9]+$/;
const isPlatforms = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((p) => typeof p === "string" && PLATFORM.test(p));

export function registryFixture(file: string): RegistryFixture {
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`--registry ${file}: not JSON (${(e as Error).message})`);
    }
    const usage = `--registry ${file}: expected { "<repository or ref>": ["linux/amd64", ...] or { "platforms": [...], "labels": { "<label>": "<value>" } } }`;
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new UsageError(usage);
    const map: Record<string, { platforms?: string[]; labels?: Record<string, string> }> = {};
    for (const [k, v] of Object.entries(doc)) {
        if (isPlatforms(v)) map[k] = { platforms: v };
        else if (
            v &&
            typeof v === "object" &&
            !Array.isArray(v) &&
            Object.keys(v).every((x) => x === "platforms" || x === "labels") &&
            (v.platforms === undefined || isPlatforms(v.platforms)) &&
            (v.labels === undefined ||
                (typeof v.labels === "object" &&
                    !Array.isArray(v.labels) &&
                    Object.values(v.labels).every((l) => typeof l === "string")))
        )
            map[k] = v;
        else throw new UsageError(`${usage}; "${k}" is neither`);
    }
    // A malformed declaration label is the file's fault: refused here, naming the file and the image.
    for (const [k, v] of Object.entries(map)) {
        try {
            declarationFromLabels(k, v.labels);
        } catch (e) {
            throw new UsageError(`--registry ${file}: ${(e as Error).message}`);
        }
    }
    const entry = (ref: string) => map[ref] ?? map[ref.split("@")[0]];
    return {
        manifests: (ref) =>
            (entry(ref)?.platforms ?? ["linux/amd64", "linux/arm64"]).map((p) => ({
                os: p.split("/")[0],
                architecture: p.split("/")[1],
            })),
        labels: (ref) => map[ref]?.labels,
    };
}

/**
 * How the plan finds each service's app declaration: a build's context file, or a prebuilt ref's
 * image label from the --registry file (only under the full reference: a label belongs to one digest).
 */
export function planDeclarationLookup(registry?: RegistryFixture): DeclarationLookup {
    return (s) =>
        "build" in s.image
            ? contextOnly(s)
            : declarationFromLabels(s.image.ref, registry?.labels(s.image.ref));
}

async function main(): Promise<number> {
    // @pulumi/pulumi captures `new Error().stack` for every promise it creates (debuggable.js);
    // with source maps on (tsx turns them on) each capture maps through them, which costs about
    // a third of the plan's run time. The plan's own messages carry no stack traces.
    process.setSourceMapsEnabled(false);
    let args: PlanArgs;
    try {
        args = parseArgs(process.argv.slice(2));
        if (!args.config && !fs.existsSync(path.join(ROOT, `Pulumi.${args.stack}.yaml`))) {
            throw new UsageError(
                `no stack file Pulumi.${args.stack}.yaml; known stacks: ${knownStacks().join(", ")} (or pass --config <file>)`,
            );
        }
        if (args.config && !fs.existsSync(args.config))
            throw new UsageError(`--config ${args.config}: no such file`);
        if (args.program && !fs.existsSync(args.program))
            throw new UsageError(`--program ${args.program}: no such file`);
        if (args.registry && !fs.existsSync(args.registry))
            throw new UsageError(`--registry ${args.registry}: no such file`);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(
            `plan: ${(e as Error).message}\nusage: npm run plan -- --stack <name> [--config <file>] [--registry <file.json>] [--policy-config <file.json>] [--stack-tag key=value]... [--program <file.ts>] [--last-outputs <file.json>] [--json | --mermaid]\n`,
        );
        return 2;
    }
    let result: OfflineResult;
    let registry: RegistryFixture | undefined;
    try {
        registry = args.registry ? registryFixture(args.registry) : undefined;
    } catch (e) {
        process.stderr.write(`plan: ${(e as Error).message}\n`);
        return 2;
    }
    try {
        result = await runOffline({
            stack: args.stack,
            configFile: args.config && path.resolve(args.config),
            program: args.program,
            registry: registry?.manifests,
            labels: registry?.labels,
            lastOutputs: args.lastOutputs
                ? JSON.parse(fs.readFileSync(path.resolve(args.lastOutputs), "utf8"))
                : undefined,
        });
    } catch (e) {
        process.stderr.write(`plan: ${(e as Error).message}\n`);
        return 2;
    }
    if (result.error) {
        process.stderr.write(`${result.error.message}\n`);
        return result.error instanceof ConfigError ? 2 : 1;
    }
    let packConfig: PolicyPackConfig;
    const warnings: string[] = [];
    try {
        // Another program (--program) brings its own policy config; its config is not ours to parse.
        const cfg = args.policyConfig ? undefined : stackConfigOf(result.file);
        const lookup = planDeclarationLookup(registry);
        warnings.push(...(cfg?.warnings ?? []));
        for (const s of cfg?.services ?? []) {
            const known = lookup(s);
            if (!known) {
                result.notes.push(
                    `env declaration of service "${s.name}" (${"ref" in s.image ? s.image.ref : "build"}): the image label ${ENV_LABEL} cannot be read offline (give it in the --registry file, docs/env-contract.md); env-contract-complete is advisory for this stack`,
                );
            } else if ("ref" in s.image) {
                // A build's context was checked at config parse; a ref's label is checked here.
                for (const w of envAgainstDeclaration(s.name, s.target, s.env, known).warnings)
                    warnings.push(`${path.relative(ROOT, result.file)}: service "${s.name}": ${w.message}`);
            }
        }
        packConfig = cfg ? policyConfigFor(cfg, lookup) : readPolicyConfig(args.policyConfig!);
        const problems = checkPackConfig(policies, packConfig);
        if (problems.length > 0) throw new UsageError(problems.join("\n"));
    } catch (e) {
        process.stderr.write(`plan: ${(e as Error).message}\n`);
        return 2;
    }
    const evaluation = await evaluatePack(policies, policyGraph(result), {
        config: packConfig,
        stackTags: args.stackTags,
    });
    const findings = checkConformance(result.resources);
    const conformance = renderFindings(findings);
    process.stdout.write(
        args.json
            ? `${JSON.stringify(toJson(result, evaluation, findings, warnings))}\n`
            : args.mermaid
              ? renderMermaid(result)
              : `${renderTree(result)}\n${warnings.length ? `\nWarnings:\n${warnings.map((w) => `  - ${w}`).join("\n")}\n` : ""}${conformance ? `${conformance}\n` : ""}${renderEvaluation(evaluation)}\n`,
    );
    // stdout holds only the diagram; what the exit code stands for goes to stderr.
    if (args.mermaid && evaluation.violations.length > 0)
        process.stderr.write(`${renderEvaluation(evaluation).trimStart()}\n`);
    if (args.mermaid && conformance) process.stderr.write(`${conformance.trimStart()}\n`);
    if (findings.length > 0) return 1;
    return evaluation.violations.some((v) => v.enforcementLevel === "mandatory") ? 1 : 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`plan: ${e?.stack ?? e}\n`);
            process.exit(1);
        },
    );
}
