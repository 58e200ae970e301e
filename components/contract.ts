/**
 * The app's env contract: every env var a service's app reads, each with where its value comes
 * from. Every target builds its env from this one declaration, and the policy pack reads the same
 * declaration, so what the app needs and what a target sets cannot drift apart.
 *
 * A value is one of:
 * - `{ value: "info" }`: a literal, plain;
 * - `{ secret: "stripeApiKey" }`: a declared secret (Pulumi config secret or generated), secret;
 * - `{ from: "database.url" }`: derived from an output. The database ones all come from the same
 *   database outputs, so `DATABASE_URL` and `DATABASE_HOST`/`PORT`/`NAME`/`USER`/`PASSWORD` can
 *   never disagree; the contract says which of them the app reads (SD-006: an app that reads
 *   DATABASE_URL while the infrastructure sets only the parts falls back to localhost).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CLOUD_RUN_PROVIDED, credentialLike, declarationFindings } from "./env-rules";
import { ENV_DECLARATION_FILE, type KnownDeclaration } from "./contract/declaration";
import type { FailureCode } from "./failures";

export {
    DeclarationError,
    type DeclaredVar,
    declarationFromLabel,
    declarationFromLabels,
    declarationLabel,
    ENV_DECLARATION_FILE,
    ENV_LABEL,
    type EnvDeclaration,
    type KnownDeclaration,
    parseEnvDeclaration,
    readContextDeclaration,
} from "./contract/declaration";

/** Derived sources, and whether each carries a secret. */
export const ENV_SOURCES = {
    "database.url": {
        secret: true,
        description: "postgresql://user:password@host:port/name?sslmode=require",
    },
    "database.host": { secret: false, description: "database host name" },
    "database.port": { secret: false, description: "database port" },
    "database.name": { secret: false, description: "database name" },
    "database.user": { secret: false, description: "database user" },
    "database.password": { secret: true, description: "database password" },
    "service.port": { secret: false, description: "the container port" },
    "stack.environment": { secret: false, description: "the environment name" },
} as const;
export type EnvSource = keyof typeof ENV_SOURCES;
const sourceNames = Object.keys(ENV_SOURCES) as [EnvSource, ...EnvSource[]];

export const envEntrySchema = z.union(
    [
        z.strictObject({ value: z.string().min(1, "a literal env value must not be empty") }),
        z.strictObject({ secret: z.string().min(1) }),
        z.strictObject({
            from: z.enum(sourceNames, { error: () => `must be one of ${sourceNames.join(", ")}` }),
        }),
    ],
    {
        error: () =>
            `must be { value: "<literal>" }, { secret: "<declared secret>" } or { from: "<${sourceNames.join(" | ")}>" }`,
    },
);
export type EnvEntry = z.infer<typeof envEntrySchema>;

export type EnvKind = "plain" | "secret";

/** Whether an env entry carries a secret. Pure. */
export function envKind(entry: EnvEntry): EnvKind {
    if ("value" in entry) return "plain";
    if ("secret" in entry) return "secret";
    return ENV_SOURCES[entry.from].secret ? "secret" : "plain";
}

/** Outputs a contract can draw from. Database fields are absent when the stack has no database. */
export interface EnvSourceValues {
    database?: DatabaseConnection;
    servicePort: number;
    environment: string;
    /** Declared secrets by name, as Pulumi secrets. */
    secrets: Record<string, pulumi.Output<string>>;
}

export interface DatabaseConnection {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    name: pulumi.Input<string>;
    user: pulumi.Input<string>;
    password: pulumi.Output<string>;
    /**
     * Path, inside the container, of the CA bundle that signed the server's certificate. When set,
     * the URL asks for `sslmode=verify-full&sslrootcert=<path>`, which libpq, node-postgres and
     * pgjdbc all read the same way; without it, `sslmode=require`. @default undefined
     */
    caFile?: string;
}

/**
 * `postgresql://` URL from the parts; user and password are percent-encoded. A host that is a
 * directory (Cloud SQL's unix socket under /cloudsql) is percent-encoded in the host position,
 * the form libpq documents (`postgresql://%2Fvar%2Flib%2Fpostgresql/dbname`) and node-postgres
 * and WHATWG URL parsers accept; the connector already encrypts that path. Pure.
 */
export function postgresUrl(p: {
    host: string;
    port: number;
    name: string;
    user: string;
    password: string;
    caFile?: string;
}): string {
    const auth = `${encodeURIComponent(p.user)}:${encodeURIComponent(p.password)}`;
    if (p.host.startsWith("/"))
        return `postgresql://${auth}@${encodeURIComponent(p.host)}/${encodeURIComponent(p.name)}`;
    // `require` encrypts without checking who answers, and node-postgres reads it as
    // verify-full against Node's public roots, which RDS's CA is not among: it fails there.
    // verify-full with the server's CA bundle checks the chain and the host name in every driver.
    const tls = p.caFile
        ? `sslmode=verify-full&sslrootcert=${encodeURIComponent(p.caFile)}`
        : "sslmode=require";
    return `postgresql://${auth}@${p.host}:${p.port}/${encodeURIComponent(p.name)}?${tls}`;
}

export interface ResolvedEnv {
    /** Plain variables: safe in a task definition's `environment` or a Cloud Run `env.value`. */
    plain: Record<string, pulumi.Input<string>>;
    /** Secret variables: only ever delivered through a secret store reference. */
    secret: Record<string, pulumi.Output<string>>;
}

/** Resolve a service's contract against the stack's outputs. Every target calls this. */
export function resolveEnv(contract: Record<string, EnvEntry>, src: EnvSourceValues): ResolvedEnv {
    const out: ResolvedEnv = { plain: {}, secret: {} };
    for (const [name, entry] of Object.entries(contract)) {
        if ("value" in entry) {
            out.plain[name] = entry.value;
        } else if ("secret" in entry) {
            const v = src.secrets[entry.secret];
            if (!v) throw new Error(`env ${name}: secret "${entry.secret}" is not declared`);
            out.secret[name] = pulumi.secret(v);
        } else {
            const v = derived(entry.from, src, name);
            if (ENV_SOURCES[entry.from].secret) out.secret[name] = pulumi.secret(pulumi.output(v));
            else out.plain[name] = v;
        }
    }
    return out;
}

function derived(from: EnvSource, src: EnvSourceValues, name: string): pulumi.Input<string> {
    if (from === "service.port") return String(src.servicePort);
    if (from === "stack.environment") return src.environment;
    const db = src.database;
    if (!db) throw new Error(`env ${name}: reads ${from} but the stack has no database`);
    switch (from) {
        case "database.host":
            return db.host;
        case "database.port":
            return pulumi.output(db.port).apply(String);
        case "database.name":
            return db.name;
        case "database.user":
            return db.user;
        case "database.password":
            return db.password;
        case "database.url":
            return pulumi
                .all([db.host, db.port, db.name, db.user, db.password])
                .apply(([host, port, dbName, user, password]) =>
                    postgresUrl({ host, port, name: dbName, user, password, caFile: db.caFile }),
                );
    }
}

// ---------------------------------------------------------------------------------------------
// A stack's `env:` map against the app's own declaration (components/contract/declaration.ts:
// which env vars the app reads). docs/env-contract.md documents the format and every check.

export interface EnvProblem {
    /** The env key the problem is about. */
    variable: string;
    message: string;
    /** The failure of docs/failures.md it is, for callers that cite it. @default none (a warning) */
    code?: FailureCode;
}

/**
 * A stack env map against the app's declaration on one target: errors (missing with the near
 * miss, a declared secret set in plain) and warnings (set but never read). Pure.
 */
export function envAgainstDeclaration(
    service: string,
    target: "aws" | "gcp" | "vm",
    env: Record<string, EnvEntry>,
    known: KnownDeclaration,
): { errors: EnvProblem[]; warnings: EnvProblem[] } {
    const names = Object.keys(env);
    const set = {
        plain: names.filter((k) => envKind(env[k]) === "plain"),
        secret: names.filter((k) => envKind(env[k]) === "secret"),
    };
    const errors: EnvProblem[] = [];
    const warnings: EnvProblem[] = [];
    const provided = target === "gcp" ? CLOUD_RUN_PROVIDED : [];
    for (const f of declarationFindings(known.declaration, set, provided)) {
        if (f.kind === "missing")
            errors.push({
                variable: f.variable,
                code: "SD-006",
                message: `service "${service}" reads ${f.variable} (${known.source}), which env does not set${f.hint ? `; ${f.hint}` : ""}; add env.${f.variable}`,
            });
        else if (f.kind === "secret-in-plain")
            errors.push({
                variable: f.variable,
                code: "SD-007",
                message: `${f.variable} is a secret in ${known.source} but env sets it in plain text; deliver it through a secret store: { secret: <declared secret> } or a secret source such as { from: database.url }`,
            });
        else
            warnings.push({
                variable: f.variable,
                message: `service "${service}" sets ${f.variable}, which ${known.source} does not declare: the app never reads it (remove it, or declare it in the app's ${ENV_DECLARATION_FILE})`,
            });
    }
    return { errors, warnings };
}

/** The secret name a literal would move to: `DATABASE_URL` -> `databaseUrl`. Pure. */
export function secretNameFor(variable: string): string {
    return variable.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * `{ value }` entries that look like credentials (a URL with user:password@, a private key, a
 * name ending in _PASSWORD/_SECRET/_TOKEN/_KEY), each with the commands that move it to a
 * secret. The VM env file is written from the same map, so this covers it too. Pure.
 */
export function literalCredentials(env: Record<string, EnvEntry>): EnvProblem[] {
    const out: EnvProblem[] = [];
    for (const [k, e] of Object.entries(env)) {
        if (!("value" in e)) continue;
        const why = credentialLike(k, e.value);
        if (!why) continue;
        const name = secretNameFor(k);
        out.push({
            variable: k,
            code: "SD-007",
            message: `env ${k} is a literal that looks like a credential (${why}); it would sit in plain text in the stack file, the task definition or the VM env file. Run: pulumi config set --secret ${name} <value>, declare secrets.${name}: { source: config }, and set env.${k}: { secret: ${name} }`,
        });
    }
    return out;
}
