/** `parseStackConfig`: Pulumi's flat config map in, the normalized stack config (or every problem) out. */
import { z } from "zod";
import {
    DeclarationError,
    type EnvProblem,
    envAgainstDeclaration,
    literalCredentials,
    readContextDeclaration,
    type KnownDeclaration,
} from "../contract";
import { certificateArnProblems } from "../aws/certificate-arn";
import { awsPlaceholders, describePlaceholder } from "../aws/placeholders";
import { cite } from "../failures";
import { PROJECT, suggestKey } from "./common";
import { checkCrossField } from "./cross-field";
import { type DatabaseConfig, databaseDefaults } from "./database";
import { ConfigError, type ConfigProblem, keyOf } from "./errors";
import { normalizeService, stripUndefined } from "./normalize";
import { type RawStackConfig, type StackConfig, stackConfigShape } from "./schema";
import { type ServiceConfig, serviceSchema } from "./services";
import { fargateSizeProblem } from "./sizes";

/** Parse a config value the way Pulumi's `config.getObject` would, keeping plain strings as they are. */
function decode(value: string): unknown {
    const t = value.trim();
    if (
        t.startsWith("{") ||
        t.startsWith("[") ||
        t === "true" ||
        t === "false" ||
        /^-?\d+(\.\d+)?$/.test(t)
    ) {
        try {
            return JSON.parse(t);
        } catch {
            return value;
        }
    }
    return value;
}

export interface ParseInput {
    /** Pulumi's flat config map (`pulumi.runtime.allConfig()`): `namespace:key` to string. */
    config: Record<string, string>;
    /** Whether Pulumi holds a key as a secret (`secure:` in the stack file). */
    isSecret: (fullKey: string) => boolean;
    /** The stack file, for messages. */
    file: string;
    /**
     * Accept placeholder values (AWS's example account, documentation networks, example.com):
     * the offline plan and tests do; a real run does not. @default true
     */
    allowPlaceholders?: boolean;
    /**
     * The app's env declaration of a service, when known before deploying.
     * @default a build's context `.env.example`; undefined for a prebuilt `ref` (its image label is read later)
     */
    declarationOf?: (service: ServiceConfig) => KnownDeclaration | undefined;
}

/** An env problem's message, with its failure code and link when it has one. Pure. */
function cited(p: EnvProblem): string {
    return p.code ? cite(p.code, p.message) : p.message;
}

/** The default declaration lookup: a build context's `.env.example`. */
export function contextDeclarationOf(service: ServiceConfig): KnownDeclaration | undefined {
    return "build" in service.image ? readContextDeclaration(service.image.build.context) : undefined;
}

/**
 * Parse and normalize the whole stack config. Throws one `ConfigError` carrying every problem;
 * returns the normalized config otherwise. Pure: no Pulumi calls.
 */
export function parseStackConfig({
    config,
    isSecret,
    file,
    allowPlaceholders = true,
    declarationOf = contextDeclarationOf,
}: ParseInput): StackConfig {
    const ours: Record<string, unknown> = {};
    const rawStrings: Record<string, string> = {};
    for (const [fullKey, value] of Object.entries(config)) {
        const i = fullKey.indexOf(":");
        if (i < 0 || fullKey.slice(0, i) !== PROJECT) continue;
        const k = fullKey.slice(i + 1);
        rawStrings[k] = value;
        ours[k] = decode(value);
    }
    const problems: ConfigProblem[] = [];

    // Secret declarations first: their names are config keys too.
    const declared = stackConfigShape.secrets.safeParse(ours.secrets);
    const secretNames = declared.success ? Object.keys(declared.data) : [];
    const knownKeys = [...Object.keys(stackConfigShape), ...secretNames];
    const structural: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ours)) {
        if (k in stackConfigShape) structural[k] = v;
        else if (!secretNames.includes(k)) {
            const s = suggestKey(k, knownKeys);
            problems.push({
                key: `${PROJECT}:${k}`,
                message:
                    `unknown config key${s ? ` (did you mean "${PROJECT}:${s}"?)` : ""}. Known keys: ${knownKeys.join(", ")}` +
                    (secretNames.length === 0
                        ? "; a secret's key exists only once it is declared under secrets"
                        : ""),
            });
        }
    }

    // Each key is parsed on its own, and each service on its own, so that one malformed part
    // does not hide the problems of the others: every problem is reported in one run.
    const pieces: Partial<RawStackConfig> = {};
    const shape = stackConfigShape as Record<string, z.ZodType>;
    for (const k of Object.keys(stackConfigShape)) {
        if (k === "services") continue;
        const r = shape[k].safeParse(structural[k]);
        if (r.success) (pieces as Record<string, unknown>)[k] = r.data;
        else
            for (const issue of r.error.issues)
                problems.push({ key: keyOf([k, ...issue.path]), message: issue.message });
    }
    const services: [number, ServiceConfig][] = [];
    const list = z.array(z.unknown()).min(1, "declare at least one service").safeParse(structural.services);
    if (!list.success) {
        for (const issue of list.error.issues)
            problems.push({ key: keyOf(["services", ...issue.path]), message: issue.message });
    } else {
        list.data.forEach((item, i) => {
            const r = serviceSchema.safeParse(item);
            if (r.success) services.push([i, r.data]);
            else {
                for (const issue of r.error.issues)
                    problems.push({ key: keyOf(["services", i, ...issue.path]), message: issue.message });
                // The sizing rule still runs on what is there, so it is not reported one run later.
                const raw = (item ?? {}) as Record<string, unknown>;
                const vcpu = typeof raw.vcpu === "number" ? raw.vcpu : undefined;
                const memory = typeof raw.memoryMiB === "number" ? raw.memoryMiB : undefined;
                const p =
                    raw.target === "aws" && vcpu !== undefined && memory !== undefined
                        ? fargateSizeProblem(vcpu, memory)
                        : undefined;
                if (p && !problems.some((x) => x.key === keyOf(["services", i, "memoryMiB"])))
                    problems.push({ key: keyOf(["services", i, "memoryMiB"]), message: cite("SD-025", p) });
            }
        });
    }
    // Config-sourced secrets: present, and held as Pulumi secrets.
    const secretValues: Record<string, string> = {};
    if (declared.success) {
        for (const [name, decl] of Object.entries(declared.data)) {
            const fullKey = `${PROJECT}:${name}`;
            if (decl.source !== "config") {
                if (name in rawStrings)
                    problems.push({
                        key: fullKey,
                        message: `secret "${name}" is generated, so it must not also be set in config; remove the key or declare it source: config`,
                    });
                continue;
            }
            if (!(name in rawStrings)) {
                problems.push({
                    key: fullKey,
                    message: cite(
                        "SD-010",
                        `secret "${name}" is declared with source: config but not set; run: pulumi config set --secret ${name} <value>`,
                    ),
                });
            } else if (!isSecret(fullKey)) {
                problems.push({
                    key: fullKey,
                    message: cite(
                        "SD-007",
                        `secret "${name}" is stored in plain text in ${file}; remove it and run: pulumi config set --secret ${name} <value>`,
                    ),
                });
            } else if (rawStrings[name].length === 0) {
                problems.push({
                    key: fullKey,
                    message: cite(
                        "SD-010",
                        `secret "${name}" is empty; run: pulumi config set --secret ${name} <value>`,
                    ),
                });
            } else {
                secretValues[name] = rawStrings[name];
            }
        }
    }

    const production = pieces.production ?? pieces.environment === "production";
    const normalized = services.map(([i, svc]) => normalizeService(svc, i, production, pieces, problems));
    checkCrossField(pieces, services, problems);
    if (!allowPlaceholders && services.some(([, svc]) => svc.target === "aws"))
        for (const p of awsPlaceholders({ ...pieces, services: services.map(([, svc]) => svc) }))
            problems.push({ key: p.key, message: describePlaceholder(p).slice(p.key.length + 2) });
    // The env map against the app's own declaration, and no literal credentials (docs/env-contract.md).
    const warnings: string[] = [];
    for (const [i, svc] of services) {
        for (const p of literalCredentials(svc.env))
            problems.push({ key: keyOf(["services", i, "env", p.variable]), message: cited(p) });
        let known: KnownDeclaration | undefined;
        try {
            known = declarationOf(svc);
        } catch (e) {
            if (!(e instanceof DeclarationError)) throw e;
            problems.push({
                key: keyOf(["services", i, "image"]),
                message: `the app's env declaration is invalid:\n      ${e.message.split("\n").join("\n      ")}`,
            });
        }
        if (!known) continue;
        const r = envAgainstDeclaration(svc.name, svc.target, svc.env, known);
        for (const p of r.errors)
            problems.push({ key: keyOf(["services", i, "env", p.variable]), message: cited(p) });
        for (const w of r.warnings)
            warnings.push(`${file}: ${keyOf(["services", i, "env", w.variable])}: ${w.message}`);
    }
    // The certificate serves load balancers of its own region and partition only (components/aws/certificate.ts).
    const awsRegion = config["aws:region"];
    if (services.some(([, svc]) => svc.target === "aws") && pieces.aws && awsRegion)
        for (const message of certificateArnProblems(pieces.aws.certificateArn, awsRegion))
            problems.push({ key: `${PROJECT}:aws.certificateArn`, message });
    let gcpLocation: StackConfig["gcpLocation"];
    if (services.some(([, svc]) => svc.target === "gcp")) {
        for (const k of ["gcp:project", "gcp:region"]) {
            if (!config[k])
                problems.push({
                    key: k,
                    message: `a service targets gcp, so set the Google provider's ${k.split(":")[1]}: pulumi config set ${k} <${k === "gcp:project" ? "project-id" : "region, e.g. asia-east1"}>`,
                });
        }
        gcpLocation = { project: config["gcp:project"], region: config["gcp:region"] };
    }
    if (problems.length > 0) throw new ConfigError(file, problems);

    const raw = { ...pieces, services: services.map(([, svc]) => svc) } as RawStackConfig;
    const dbTarget =
        normalized.find((svc) =>
            Object.values(svc.env).some((e) => "from" in e && e.from.startsWith("database.")),
        )?.target ?? normalized[0].target;
    const database = raw.database
        ? ({
              ...databaseDefaults(production),
              ...stripUndefined(raw.database),
              target: dbTarget,
          } as DatabaseConfig)
        : undefined;
    return {
        ...raw,
        production,
        services: normalized,
        database,
        secretValues,
        logRetentionDays: raw.aws?.logRetentionDays ?? (production ? 365 : 30),
        gcpLocation,
        warnings,
    };
}
