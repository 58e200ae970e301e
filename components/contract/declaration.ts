/**
 * The app's own declaration: which env vars the app reads (its build context's `.env.example`,
 * stamped into the image as the OCI label ENV_LABEL). The stack's `env:` map is how one target
 * satisfies it (components/contract.ts). docs/env-contract.md documents the format and every check.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/** The declaration file in a service's build context. */
export const ENV_DECLARATION_FILE = ".env.example";
/** The OCI image label that carries the declaration (compact JSON, see `declarationLabel`). */
export const ENV_LABEL = "dev.service-deploy.env";

export interface DeclaredVar {
    /** The app treats the value as a credential: it must come from a secret store. */
    secret: boolean;
    /** The app runs without it (it has a default). */
    optional: boolean;
    /** One line for people; not in the label. @default "" */
    description: string;
}
export type EnvDeclaration = Record<string, DeclaredVar>;

export class DeclarationError extends Error {
    constructor(
        public readonly file: string,
        public readonly problems: { line: number; message: string }[],
    ) {
        super(problems.map((p) => `${file}:${p.line}: ${p.message}`).join("\n"));
        this.name = "DeclarationError";
    }
}

const VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;
const TAGS = ["secret", "optional"] as const;
const declaredLine = z.object({
    name: z
        .string()
        .regex(VAR_NAME, "a variable name is upper case letters, digits and _, e.g. DATABASE_URL"),
    value: z.string(),
    tags: z.array(
        z.enum(TAGS, { error: (i) => `unknown tag @${String(i.input)}; use @secret or @optional` }),
    ),
});

/**
 * Parse a `.env.example`: `NAME=example` lines, each described by the `#` comment lines right
 * above it; `@secret` and `@optional` in those comments mark the variable. A secret's example
 * value must be empty (the file is committed). Every problem names the file and line. Pure.
 *
 *     # postgresql://user:password@host:port/name, the database the app uses  @secret
 *     DATABASE_URL=
 *     # port the HTTP server listens on  @optional
 *     PORT=8080
 */
export function parseEnvDeclaration(text: string, file: string): EnvDeclaration {
    const out: EnvDeclaration = {};
    const problems: { line: number; message: string }[] = [];
    const seen = new Map<string, number>();
    let comments: string[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.trim();
        const n = i + 1;
        if (line === "") {
            comments = [];
            return;
        }
        if (line.startsWith("#")) {
            comments.push(line.replace(/^#+\s?/, ""));
            return;
        }
        const m = /^(?:export\s+)?([^=\s]+)\s*=(.*)$/.exec(line);
        if (!m) {
            problems.push({
                line: n,
                message: `expected NAME=example or a # comment, got ${JSON.stringify(line)}`,
            });
            comments = [];
            return;
        }
        const text = comments.join(" ");
        const tags = [...text.matchAll(/(?:^|\s)@([a-z-]+)/g)].map((t) => t[1]);
        const r = declaredLine.safeParse({
            name: m[1],
            value: m[2].trim().replace(/^(["'])(.*)\1$/, "$2"),
            tags,
        });
        comments = [];
        if (!r.success) {
            for (const issue of r.error.issues)
                problems.push({ line: n, message: `${m[1]}: ${issue.message}` });
            return;
        }
        const { name, value } = r.data;
        if (seen.has(name)) {
            problems.push({ line: n, message: `${name} is declared twice (also line ${seen.get(name)})` });
            return;
        }
        seen.set(name, n);
        const secret = r.data.tags.includes("secret");
        if (secret && value !== "")
            problems.push({
                line: n,
                message: `${name} is @secret, so its example value must be empty (this file is committed)`,
            });
        out[name] = {
            secret,
            optional: r.data.tags.includes("optional"),
            description: text.replace(/(?:^|\s)@[a-z-]+/g, "").trim(),
        };
    });
    if (problems.length > 0) throw new DeclarationError(file, problems);
    return out;
}

/** The label value: `{"DATABASE_URL":"secret","PORT":"optional",...}` (sorted; flags joined by ","). Pure. */
export function declarationLabel(d: EnvDeclaration): string {
    const flags = (v: DeclaredVar) =>
        [v.secret ? "secret" : "", v.optional ? "optional" : ""].filter(Boolean).join(",") || "required";
    return JSON.stringify(
        Object.fromEntries(
            Object.keys(d)
                .sort()
                .map((k) => [k, flags(d[k])]),
        ),
    );
}

const labelSchema = z.record(
    z.string().regex(VAR_NAME),
    z.enum(["required", "secret", "optional", "secret,optional"]),
);

/** Read the label back; `where` names the image for the message. Throws on a malformed label. Pure. */
export function declarationFromLabel(value: string, where: string): EnvDeclaration {
    let json: unknown;
    try {
        json = JSON.parse(value);
    } catch (e) {
        throw new Error(`${where}: label ${ENV_LABEL} is not JSON (${(e as Error).message})`);
    }
    const r = labelSchema.safeParse(json);
    if (!r.success)
        throw new Error(
            `${where}: label ${ENV_LABEL}: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
        );
    return Object.fromEntries(
        Object.entries(r.data).map(([k, f]) => [
            k,
            { secret: f.startsWith("secret"), optional: f.endsWith("optional"), description: "" },
        ]),
    );
}

/** Where a service's declaration came from, for messages: the file, or the image's label. */
export interface KnownDeclaration {
    declaration: EnvDeclaration;
    /** e.g. "app/.env.example" or "label dev.service-deploy.env of ghcr.io/acme/api@sha256:..." */
    source: string;
}

/**
 * The app's declaration from an image's labels: undefined when the labels could not be read
 * (`labels` undefined) or the image carries no declaration label. Throws on a malformed label. Pure.
 */
export function declarationFromLabels(
    ref: string,
    labels: Record<string, string> | undefined,
): KnownDeclaration | undefined {
    const value = labels?.[ENV_LABEL];
    if (value === undefined) return undefined;
    const source = `label ${ENV_LABEL} of ${ref}`;
    return { declaration: declarationFromLabel(value, source), source };
}

/** The declaration in a build context, or undefined when the context has none. Throws DeclarationError. */
export function readContextDeclaration(context: string): KnownDeclaration | undefined {
    const file = path.join(context, ENV_DECLARATION_FILE);
    if (!fs.existsSync(file)) return undefined;
    return { declaration: parseEnvDeclaration(fs.readFileSync(file, "utf8"), file), source: file };
}
