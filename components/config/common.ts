/**
 * What every section of the stack config shares: the project name, the architectures and
 * targets, and strict objects whose unknown keys get a "did you mean".
 */
import { z } from "zod";
import { distance } from "../edit-distance";

export const PROJECT = "service-deploy";

/** CPU architectures a workload can run on, and the OCI platform each one needs in an image. */
export const ARCHITECTURES = ["amd64", "arm64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const platformOf = (arch: Architecture): string => `linux/${arch}`;

export const TARGETS = ["aws", "gcp", "vm"] as const;
export type Target = (typeof TARGETS)[number];

// ---------------------------------------------------------------------------------------------
// Helpers: strict objects whose unknown keys get a "did you mean"
// ---------------------------------------------------------------------------------------------

/** Levenshtein distance, for "did you mean" suggestions (the policy pack's, so both agree). */
export const editDistance = distance;

/** The closest known key to an unknown one, when it is close enough to be a typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = editDistance(unknown, k);
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    const allowed = Math.max(2, Math.floor(unknown.length / 3));
    return bestDistance <= allowed ? best : undefined;
}

function unknownKeyMessage(keys: readonly string[], known: readonly string[]): string {
    return keys
        .map((k) => {
            const s = suggestKey(k, known);
            return `unknown key "${k}"${s ? ` (did you mean "${s}"?)` : ""}; known keys: ${known.join(", ")}`;
        })
        .join("; ");
}

/** A strict object: an unknown key is an error that lists the known ones and the closest. */
export function strict<T extends z.ZodRawShape>(shape: T) {
    const known = Object.keys(shape);
    return z.strictObject(shape, {
        error: (iss) => (iss.code === "unrecognized_keys" ? unknownKeyMessage(iss.keys, known) : undefined),
    });
}

export const positiveInt = (max: number) => z.number().int().min(1).max(max);
export const percent = z.number().gt(0).lte(100);
export const path = z
    .string()
    .regex(/^\/[A-Za-z0-9._~\-/]*$/, "must be an absolute URL path such as /readiness");
export const slug = z
    .string()
    .regex(
        /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/,
        "must be 2-32 characters of a-z, 0-9 and -, starting with a letter",
    );
