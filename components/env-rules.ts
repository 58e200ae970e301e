/**
 * The app's env rules shared by the program (components/contract.ts, at config parse and preview)
 * and the policy pack (policies/env.ts): what a target sets instead of a missing variable, what
 * looks like a credential, what Cloud Run provides itself, and a target's env against the app's
 * declaration. Pure, no Pulumi.
 */
import { distance } from "./edit-distance";

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
