/**
 * Google Cloud conformance, the release's identities (scripts/conformance/gcp.ts calls these): the
 * tester service account's id against IAM's rule and a Cloud Run service's custom audiences, both
 * recorded in rules/gcp.json with their source.
 */
import type { RecordedResource } from "../offline";
import { unwrap } from "../offline";
import rules from "./rules/gcp.json";

type Report = (field: string, value: unknown, rule: string) => void;

/** `gcp:serviceaccount/account:Account`: the account id is 6-30 characters of an RFC 1035 label. */
export function checkServiceAccount(r: RecordedResource, report: Report): void {
    const l = rules.iam.limits;
    const id = (unwrap(r.inputs) as Record<string, unknown>).accountId;
    if (id === undefined) return;
    const s = String(id);
    if (
        s.length < l.accountIdMinLength ||
        s.length > l.accountIdMaxLength ||
        !new RegExp(l.accountIdPattern).test(s)
    )
        report(
            "accountId",
            id,
            `must be ${l.accountIdMinLength}-${l.accountIdMaxLength} characters long and match ${l.accountIdPattern} (${rules.iam.limitsSource})`,
        );
}

/** A Cloud Run service's `customAudiences`: each the full URL of an audience. */
export function checkCustomAudiences(audiences: unknown, report: Report): void {
    if (audiences === undefined) return;
    if (!Array.isArray(audiences)) {
        report("customAudiences", audiences, "a list of audience URLs");
        return;
    }
    audiences.forEach((a, i) => {
        if (!new RegExp(rules.run.limits.customAudiencePattern).test(String(a)))
            report(
                `customAudiences[${i}]`,
                a,
                `each custom audience is the full URL in a string (${rules.run.source} Service.customAudiences)`,
            );
    });
}
