/**
 * A stack file as the offline engine reads it, and the secrets in it: `secure:` values and
 * declared `source: config` secrets become opaque placeholder secrets (each listed in the run's
 * notes and secret values), since the stack's key is not at hand offline. Secrets are recognized
 * by the runtime's own secret signature, so the plan can redact them and the policy graph unwrap them.
 */
import * as fs from "node:fs";
import * as YAML from "yaml";
import { awsPlaceholders, describePlaceholder } from "../../components/aws/placeholders";

const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };

export function isSecretValue(v: unknown): v is { value: unknown } {
    return (
        typeof v === "object" &&
        v !== null &&
        (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig
    );
}

/** Inputs with every secret replaced by "[secret]": what the plan prints. */
export function redact(v: unknown): unknown {
    if (isSecretValue(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(redact);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
    return v;
}

/** Inputs with secret wrappers removed: what the provider gets after decryption. */
export function unwrap(v: unknown): unknown {
    if (isSecretValue(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

/** Read a stack file into Pulumi's flat config map (objects JSON-encoded) and its secret keys. */
export function readStackFile(
    file: string,
    notes: string[],
    secretValues: string[],
): { config: Record<string, string>; secretKeys: string[] } {
    if (!fs.existsSync(file)) throw new Error(`config file ${file} does not exist`);
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    if (typeof doc !== "object" || (doc.config !== undefined && typeof doc.config !== "object"))
        throw new Error(`${file}: expected a top-level "config:" mapping`);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
        let hasSecure = false;
        const replaced = replaceSecure(value, key, () => {
            hasSecure = true;
        });
        if (hasSecure) {
            secretKeys.push(key);
            notes.push(
                `${key}: a secure value cannot be decrypted offline; an opaque placeholder secret stands in`,
            );
        }
        if (typeof replaced === "string") {
            config[key] = replaced;
            if (hasSecure) secretValues.push(replaced);
        } else {
            config[key] = JSON.stringify(replaced);
        }
    }
    return { config, secretKeys };
}

function replaceSecure(v: unknown, key: string, found: () => void): unknown {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) {
        found();
        return `offline-placeholder-for-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
    }
    if (Array.isArray(v)) return v.map((x) => replaceSecure(x, key, found));
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecure(x, key, found)]));
    return v;
}

/** Placeholder secrets for declared `source: config` secrets the stack file does not set. */
export function fillMissingConfigSecrets(
    project: string,
    config: Record<string, string>,
    secretKeys: string[],
    notes: string[],
    secretValues: string[],
): void {
    let declared: Record<string, { source?: string }> = {};
    try {
        declared = JSON.parse(config[`${project}:secrets`] ?? "{}");
    } catch {
        return; // the program reports the malformed key
    }
    for (const [name, decl] of Object.entries(declared ?? {})) {
        const key = `${project}:${name}`;
        if (decl?.source !== "config") continue;
        if (key in config) {
            if (secretKeys.includes(key)) secretValues.push(config[key]);
            continue;
        }
        config[key] = `offline-placeholder-for-${name}`;
        secretKeys.push(key);
        secretValues.push(config[key]);
        notes.push(
            `${key}: not set in the stack file (set it with: pulumi config set --secret ${name} <value>); an opaque placeholder secret stands in`,
        );
    }
}

/**
 * One note per AWS placeholder the stack file still holds (AWS's example account, documentation
 * networks): they pass under mocks, so the plan lists them as not verified offline.
 */
export function awsPlaceholderNotes(project: string, config: Record<string, string>): string[] {
    const decoded = (k: string) => {
        try {
            return JSON.parse(config[`${project}:${k}`] ?? "null") ?? undefined;
        } catch {
            return undefined;
        }
    };
    const usesAws = (decoded("services") ?? []).some?.((x: { target?: string }) => x?.target === "aws");
    if (!usesAws) return [];
    return awsPlaceholders({
        aws: decoded("aws"),
        blueGreen: decoded("blueGreen"),
        alarms: decoded("alarms"),
        services: decoded("services"),
    }).map((p) => `${describePlaceholder(p)}; not verified offline`);
}
