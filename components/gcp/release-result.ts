/**
 * The release runner's result line, one definition for both sides: the runner
 * (scripts/gcp-release/release.ts) builds and prints it with `formatReleaseResult`, the offline
 * plan's stand-in (scripts/offline/release.ts) prints it through the runner's own builder, and the
 * Pulumi program (components/gcp/release.ts) reads it with `parseReleaseResult` into the
 * service's `servingRevision`, `tagUrls` and `deployed` outputs (`releaseOutputs`).
 * test/gcp-release-join.test.ts runs the real runner on the program's spec and reads its line back.
 *
 * Revision names in the line are short (`api-4f2a9c1e7b3d-0a1b2c`): the Cloud Run Admin API v2
 * gives `latestReadyRevision` as a full resource name (`projects/p/locations/r/services/s/revisions/x`,
 * `run_v2.Schema$GoogleCloudRunV2Service` in `@googleapis/run` 34.0.0) and `trafficStatuses[].revision`
 * as a short one; `revisionId` (components/evidence.ts) is the one place that makes the first like the second.
 */
import { z } from "zod";
import { type CloudRunCondition, cloudRunDeployed, type Deployed, revisionId } from "../evidence";
import type { SmokeReport } from "../smoke";

/**
 * The role that lets the deployer mint the tester's ID tokens: IAM Credentials `generateIdToken`
 * needs `iam.serviceAccounts.getOpenIdToken` on the tester account
 * (https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateIdToken).
 * Two predefined roles carry it: Service Account Token Creator (also access tokens, signBlob,
 * signJwt) and Service Account OpenID Connect Identity Token Creator, the one Google names for ID
 * tokens only (https://cloud.google.com/iam/docs/service-account-permissions). The program grants
 * this one (components/gcp/release.ts) and the runner names it when refused.
 */
export const ID_TOKEN_ROLE = "roles/iam.serviceAccountOpenIdTokenCreator";

/** The last stdout line's prefix of the runner's result. */
export const RELEASE_RESULT_PREFIX = "release-result: ";

export { revisionId };

const SHORT = z.string().regex(/^[^/]+$/, "must be a short revision name (revisionId), not a resource path");

/** components/smoke.ts `SmokeReport`, as the result carries it. */
export const smokeReportSchema: z.ZodType<SmokeReport> = z.object({
    ok: z.boolean(),
    results: z.array(
        z.object({
            path: z.string(),
            expected: z.string(),
            status: z.number().int().optional(),
            ok: z.boolean(),
            error: z.string().optional(),
            durationMs: z.number(),
        }),
    ),
});

/** One traffic entry as served (`trafficStatuses`); proto3 JSON's missing percent reads as 0. */
export const trafficLineSchema = z.object({
    revision: SHORT.nullable(),
    percent: z.number().int().min(0).max(100),
    tag: z.string().nullable(),
    uri: z.string().nullable(),
});
export type TrafficLine = z.infer<typeof trafficLineSchema>;

export const releaseResultSchema = z.object({
    /** The Cloud Run service's name. */
    service: z.string().min(1),
    /** The traffic tag this run smoke-tested, or null when it only read the traffic back. */
    smoked: z.string().min(1).nullable(),
    /** The smoke test's report, or null when none ran. */
    smoke: smokeReportSchema.nullable(),
    /** The newest revision that passed its startup probe (short name), or null when none has. */
    latestReadyRevision: SHORT.nullable(),
    /** The traffic served, read back from the API after the release. */
    trafficStatuses: z.array(trafficLineSchema),
});
export type ReleaseResult = z.infer<typeof releaseResultSchema>;

/** The runner's last stdout line for a result; throws, naming the field, on a result off the contract. Pure. */
export function formatReleaseResult(r: ReleaseResult): string {
    return `${RELEASE_RESULT_PREFIX}${JSON.stringify(releaseResultSchema.parse(r))}`;
}

/**
 * The result in the runner's stdout: its last `release-result: <json>` line. Throws, naming each
 * field off the contract, when there is none or it does not match. Pure.
 */
export function parseReleaseResult(stdout: string): ReleaseResult {
    const line = stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith(RELEASE_RESULT_PREFIX))
        .pop();
    if (!line)
        throw new Error(
            `the release runner printed no "${RELEASE_RESULT_PREFIX.trim()}" line (scripts/gcp-release.ts); its output was: ${stdout.slice(-500) || "(empty)"}`,
        );
    let json: unknown;
    try {
        json = JSON.parse(line.slice(RELEASE_RESULT_PREFIX.length));
    } catch (e) {
        throw new Error(`the release runner's result is not JSON (${(e as Error).message}): ${line}`);
    }
    const r = releaseResultSchema.safeParse(json);
    if (r.success) return r.data;
    const problems = r.error.issues.map((i) => `${i.path.join(".") || "(the line)"}: ${i.message}`);
    throw new Error(`the release runner's result is off the contract (${problems.join("; ")}): ${line}`);
}

/** The revision serving the most traffic in a result. Pure. */
export function servingOf(r: ReleaseResult): string {
    return [...r.trafficStatuses].sort((a, b) => b.percent - a.percent)[0]?.revision ?? "";
}

/** Tag -> URL of every tagged revision in a result. Pure. */
export function tagUrlsOf(r: ReleaseResult): Record<string, string> {
    return Object.fromEntries(
        r.trafficStatuses.flatMap((t) => (t.tag && t.uri ? [[t.tag, t.uri] as const] : [])),
    );
}

export interface ReleaseOutputs {
    servingRevision: string;
    tagUrls: Record<string, string>;
    deployed: Deployed;
}

/**
 * The service's outputs after a release: from the runner's stdout, the revision this up created,
 * its image and the Service's terminal conditions. Pure.
 */
export function releaseOutputs(
    stdout: string,
    a: { image: string; revision: string; terminalConditions: CloudRunCondition[] },
): ReleaseOutputs {
    const r = parseReleaseResult(stdout);
    return {
        servingRevision: servingOf(r),
        tagUrls: tagUrlsOf(r),
        deployed: cloudRunDeployed({
            image: a.image,
            revision: a.revision,
            latestReadyRevision: r.latestReadyRevision ?? "",
            terminalConditions: a.terminalConditions,
            trafficStatuses: r.trafficStatuses.map((t) => ({
                revision: t.revision ?? undefined,
                percent: t.percent,
            })),
        }),
    };
}
