/**
 * The recorded AWS models and the generic check of a request against them: required members,
 * enums, min/max (length, count or value) and string patterns of botocore's
 * `data/<service>/<version>/service-2.json` (Apache-2.0), recorded in `rules/aws-botocore.json`
 * by `extract-aws.py` with the botocore version it read (1.43.11 at the time of writing). Only
 * the extract is read here, so a machine without botocore runs it.
 *
 * Patterns are matched against the whole value. The models' patterns are Smithy/Java patterns
 * that AWS's validators apply as a full match (e.g. ECS's TagValue `([\p{L}\p{Z}\p{N}_.:/=+\-@]*)`
 * has no anchors, yet RegisterTaskDefinition refuses a comma in a tag value).
 */
import * as fs from "node:fs";
import * as path from "node:path";

// ---------------------------------------------------------------------------------------------
// The recorded models
// ---------------------------------------------------------------------------------------------

export interface Shape {
    type: string;
    required?: string[];
    enum?: string[];
    min?: number;
    max?: number;
    pattern?: string;
    members?: Record<string, string>;
    member?: string;
    key?: string;
    value?: string;
}

export interface AwsRules {
    source: string;
    botocore: string;
    services: Record<
        string,
        { apiVersion: string; operations: Record<string, string>; shapes: Record<string, Shape> }
    >;
    docs: Record<string, string>;
}

export const RULES_FILE = path.join(__dirname, "rules", "aws-botocore.json");
let loaded: AwsRules | undefined;
export function awsRules(): AwsRules {
    loaded ??= JSON.parse(fs.readFileSync(RULES_FILE, "utf8")) as AwsRules;
    return loaded;
}

const patternCache = new Map<string, RegExp | null>();
/** A model pattern as a full-match JavaScript regex (Unicode mode for `\p{L}`), or null when JS cannot express it. */
export function modelPattern(p: string): RegExp | null {
    if (patternCache.has(p)) return patternCache.get(p) ?? null;
    let re: RegExp | null = null;
    for (const flags of ["u", ""]) {
        try {
            re = new RegExp(`^(?:${p})$`, flags);
            break;
        } catch {
            re = null;
        }
    }
    patternCache.set(p, re);
    return re;
}

// ---------------------------------------------------------------------------------------------
// Generic validation of a request against a shape
// ---------------------------------------------------------------------------------------------

export interface Violation {
    field: string;
    value: unknown;
    rule: string;
}

const isNumberType = (t: string) => ["integer", "long", "float", "double"].includes(t);

/** Check `value` against `shapeName` of a service's model; appends one violation per broken rule. Pure. */
export function validateShape(
    service: string,
    shapeName: string,
    value: unknown,
    field: string,
    out: Violation[],
    rules: AwsRules = awsRules(),
): void {
    if (value === undefined || value === null) return;
    const shapes = rules.services[service].shapes;
    const s = shapes[shapeName];
    if (!s) return;
    const where = `${service} ${shapeName}`;
    switch (s.type) {
        case "structure": {
            if (typeof value !== "object" || Array.isArray(value)) {
                out.push({ field, value, rule: `${where} is a structure` });
                return;
            }
            const v = value as Record<string, unknown>;
            for (const req of s.required ?? [])
                if (v[req] === undefined)
                    out.push({
                        field: join(field, req),
                        value: undefined,
                        rule: `${where}: ${req} is required`,
                    });
            for (const [k, x] of Object.entries(v)) {
                const m = s.members?.[k];
                if (!m) {
                    out.push({ field: join(field, k), value: x, rule: `${where} has no member ${k}` });
                    continue;
                }
                validateShape(service, m, x, join(field, k), out, rules);
            }
            return;
        }
        case "list": {
            if (!Array.isArray(value)) {
                out.push({ field, value, rule: `${where} is a list` });
                return;
            }
            if (s.min !== undefined && value.length < s.min)
                out.push({ field, value, rule: `${where}: at least ${s.min} item(s)` });
            if (s.max !== undefined && value.length > s.max)
                out.push({ field, value, rule: `${where}: at most ${s.max} item(s)` });
            for (const [i, x] of value.entries())
                validateShape(service, s.member as string, x, `${field}[${i}]`, out, rules);
            return;
        }
        case "map": {
            if (typeof value !== "object" || Array.isArray(value)) {
                out.push({ field, value, rule: `${where} is a map` });
                return;
            }
            const entries = Object.entries(value as Record<string, unknown>);
            if (s.min !== undefined && entries.length < s.min)
                out.push({ field, value, rule: `${where}: at least ${s.min} entries` });
            if (s.max !== undefined && entries.length > s.max)
                out.push({ field, value, rule: `${where}: at most ${s.max} entries` });
            for (const [k, x] of entries) {
                validateShape(service, s.key as string, k, `${field}{${k}}`, out, rules);
                validateShape(service, s.value as string, x, `${field}.${k}`, out, rules);
            }
            return;
        }
        case "string": {
            if (typeof value !== "string") {
                out.push({ field, value, rule: `${where} is a string` });
                return;
            }
            if (s.enum && !s.enum.includes(value))
                out.push({ field, value, rule: `${where}: one of ${s.enum.join(", ")}` });
            const len = [...value].length;
            if (s.min !== undefined && len < s.min)
                out.push({ field, value, rule: `${where}: length at least ${s.min} (got ${len})` });
            if (s.max !== undefined && len > s.max)
                out.push({ field, value, rule: `${where}: length at most ${s.max} (got ${len})` });
            if (s.pattern) {
                const re = modelPattern(s.pattern);
                if (re && !re.test(value))
                    out.push({ field, value, rule: `${where}: must match ${s.pattern}` });
            }
            return;
        }
        case "boolean":
            if (typeof value !== "boolean") out.push({ field, value, rule: `${where} is a boolean` });
            return;
        default:
            if (isNumberType(s.type)) {
                if (typeof value !== "number" || Number.isNaN(value)) {
                    out.push({ field, value, rule: `${where} is a number (${s.type})` });
                    return;
                }
                if ((s.type === "integer" || s.type === "long") && !Number.isInteger(value))
                    out.push({ field, value, rule: `${where} is an ${s.type}` });
                if (s.min !== undefined && value < s.min)
                    out.push({ field, value, rule: `${where}: at least ${s.min}` });
                if (s.max !== undefined && value > s.max)
                    out.push({ field, value, rule: `${where}: at most ${s.max}` });
            }
    }
}

function join(field: string, k: string): string {
    return field ? `${field}.${k}` : k;
}
