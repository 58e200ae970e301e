/**
 * Secrets are read at a pinned version: a Cloud Run env var from Secret Manager names its version,
 * never `latest` (or nothing), so a restart or a scale-out never picks up a value nobody reviewed
 * and two instances of one revision never run with different secrets.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import { ofType, type PolicyOptions } from "./common";

export function secretVersionPinned(
    name = "secret-version-pinned",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description: "Cloud Run reads every Secret Manager secret at a pinned version, never latest.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        validateResource: ofType("gcp:cloudrunv2/service:Service", (p, args, report) => {
            for (const c of p.template?.containers ?? []) {
                for (const e of c.envs ?? []) {
                    const ref = e.valueSource?.secretKeyRef;
                    if (!ref) continue;
                    const v =
                        ref.version === undefined || ref.version === "" ? undefined : String(ref.version);
                    if (v === undefined || v === "latest") {
                        report(
                            cite(
                                "SD-009",
                                `Cloud Run service "${args.name}": ${e.name} reads secret ${ref.secret} at ${v ?? "an unspecified version (latest)"}; pin the version the deploy created (e.g. version: "3"), so a restart never picks up an unreviewed value.`,
                            ),
                        );
                    }
                }
            }
        }),
    };
}
