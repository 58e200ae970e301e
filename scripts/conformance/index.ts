/**
 * Conformance: every resource of the offline graph checked against the cloud's own published API
 * rules (required members, enums, lengths, patterns, documented cross-field rules), as cfn-lint
 * does for CloudFormation. Each cloud has one checker module beside this file; each reads a
 * recorded extract of the cloud's models (with its version) committed under `rules/`, so a
 * machine without the cloud's SDKs still runs it.
 *
 * `npm run plan` prints the findings under "<cloud> would reject:" and exits 1; `--json` carries
 * them as `conformance`.
 */
import type { RecordedResource } from "../offline";
import { gcpChecker } from "./gcp";
import { awsChecker } from "./aws";

export type Cloud = "AWS" | "Google Cloud" | "Oracle Cloud";

/** One request a cloud would refuse. */
export interface Finding {
    cloud: Cloud;
    /** URN of the resource in the graph. */
    urn: string;
    /** Pulumi type token, e.g. `aws:ecs/taskDefinition:TaskDefinition`. */
    type: string;
    /** The API operation the provider would call, e.g. `RegisterTaskDefinition`. */
    operation: string;
    /** Path of the offending member in the API request, e.g. `tags[3].value`. */
    field: string;
    /** The value the provider would send (never a secret: callers redact first). */
    value: unknown;
    /** The rule, in the cloud's terms, with where it comes from. */
    rule: string;
}

/** A checker reads the whole graph (cross-resource rules need it) and returns its findings. */
export type Checker = (resources: RecordedResource[]) => Finding[];

/** Every cloud's checker. A module adds itself here, one line each. */
export const CHECKERS: Checker[] = [awsChecker, gcpChecker];

export function checkConformance(resources: RecordedResource[], checkers: Checker[] = CHECKERS): Finding[] {
    return checkers.flatMap((c) => c(resources));
}

function shortValue(v: unknown): string {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** The plan's section: one heading per cloud, one finding per line. Empty when there are none. */
export function renderFindings(findings: Finding[]): string {
    if (findings.length === 0) return "";
    const lines: string[] = [];
    const clouds = [...new Set(findings.map((f) => f.cloud))];
    for (const cloud of clouds) {
        lines.push("", `${cloud} would reject:`);
        for (const f of findings.filter((x) => x.cloud === cloud)) {
            const name = f.urn.split("::").pop();
            lines.push(
                `  ${name} (${f.type}) ${f.operation} ${f.field} = ${shortValue(f.value)}`,
                `      ${f.rule}`,
            );
        }
    }
    return lines.join("\n");
}
