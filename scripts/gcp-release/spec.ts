/**
 * The Cloud Run release runner's input and its decisions, all pure: the `RELEASE_SPEC` schema,
 * which tag URL to smoke-test, the traffic PATCH, whether the traffic read back is the target,
 * and the result line. `scripts/gcp-release.ts` runs them; test/gcp-release.test.ts tables them.
 *
 * Shapes follow the Cloud Run Admin API v2 as `@googleapis/run` 34.0.0 types it
 * (`run_v2.Schema$GoogleCloudRunV2Service`, `...TrafficTarget`, `...TrafficTargetStatus`) and
 * googleapis/googleapis `google/cloud/run/v2/{service,traffic_target}.proto`.
 */
import { z } from "zod";
import {
    formatReleaseResult,
    type ReleaseResult,
    revisionId,
    type TrafficLine,
} from "../../components/gcp/release-result";
import type { SmokeReport } from "../../components/smoke";

export type { ReleaseResult, TrafficLine };

/** Cloud Run service names: lowercase letters, digits and hyphens, a letter first, at most 49. */
const SERVICE = /^[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?$/;
/** Project IDs: 6 to 30 lowercase letters, digits and hyphens, a letter first, no trailing hyphen. */
const PROJECT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
/** Regions, e.g. `europe-west1`, `us-central1`. */
const REGION = /^[a-z]+(?:-[a-z]+)+[0-9]+$/;
/** Revision names and traffic tags: DNS labels (a tag becomes part of the tag URL's host). */
const LABEL = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

const label = (what: string) =>
    z.string().regex(LABEL, `must be a ${what}: lowercase letters, digits, hyphens`);

const checkSchema = z.strictObject({
    path: z.string().regex(/^\/[A-Za-z0-9._~\-/?=&%]*$/, "must be an absolute URL path such as /v1/status"),
    status: z.number().int().min(100).max(599).optional(),
});

export const specSchema = z.strictObject({
    project: z.string().regex(PROJECT, "must be a Google Cloud project ID"),
    region: z.string().regex(REGION, "must be a Cloud Run region such as europe-west1"),
    service: z.string().regex(SERVICE, "must be a Cloud Run service name"),
    smoke: z.strictObject({ tag: label("traffic tag") }).nullable(),
    target: z
        .array(
            z.strictObject({
                revision: label("revision name"),
                percent: z.number().int().min(0).max(100),
                tag: label("traffic tag"),
            }),
        )
        .min(1)
        .nullable()
        .refine((t) => t === null || t.reduce((sum, x) => sum + x.percent, 0) === 100, {
            message: "percents must add up to 100",
        })
        .refine((t) => t === null || new Set(t.map((x) => x.tag)).size === t.length, {
            message: "each tag may appear once",
        }),
    checks: z.strictObject({
        readinessPath: checkSchema.shape.path,
        healthPath: checkSchema.shape.path,
        checks: z.array(checkSchema),
        timeoutSeconds: z.number().int().min(1).max(60),
    }),
    audience: z.string().url().nullable(),
    tester: z
        .string()
        .regex(/^[a-z0-9][-a-z0-9]*@[a-z0-9.-]+\.gserviceaccount\.com$/, "must be a service account email")
        .nullable(),
    /**
     * How long a refused generateIdToken (403/404) or readiness check (401/403) is tried again
     * while fresh IAM bindings propagate. The program leaves it out; tests shorten it.
     * @default IAM_WAIT_MS / 1000 (components/gcp/release-budget.ts)
     */
    iamWaitSeconds: z.number().int().min(0).max(3600).optional(),
});

export type ReleaseSpec = z.infer<typeof specSchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The spec from `RELEASE_SPEC`'s text, or an error naming each bad field. Pure. */
export function parseSpec(text: string | undefined): Parsed<ReleaseSpec> {
    if (text === undefined || text.trim() === "")
        return { ok: false, error: "RELEASE_SPEC is not set: the Pulumi program passes it to the runner" };
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        return {
            ok: false,
            error: `RELEASE_SPEC is not JSON: ${e instanceof Error ? e.message : String(e)}`,
        };
    }
    const r = specSchema.safeParse(json);
    if (r.success) return { ok: true, value: r.data };
    const lines = r.error.issues.map((i) => {
        const at = ["RELEASE_SPEC", ...i.path.map(String)].join(".");
        return `${at}: ${i.message}`;
    });
    return { ok: false, error: lines.join("\n") };
}

/** What the runner reads of a Service (`run_v2.Schema$GoogleCloudRunV2Service`). */
export interface ServiceView {
    name?: string | null;
    uri?: string | null;
    etag?: string | null;
    latestReadyRevision?: string | null;
    reconciling?: boolean | null;
    traffic?: {
        type?: string | null;
        revision?: string | null;
        percent?: number | null;
        tag?: string | null;
    }[];
    trafficStatuses?: {
        type?: string | null;
        revision?: string | null;
        percent?: number | null;
        tag?: string | null;
        uri?: string | null;
    }[];
}

/**
 * The service's traffic as served. proto3 JSON leaves out zero values, so a revision at 0% comes
 * back without `percent` (https://protobuf.dev/programming-guides/json/): read as 0. Pure.
 */
export function trafficLines(svc: ServiceView): TrafficLine[] {
    return (svc.trafficStatuses ?? []).map((s) => ({
        revision: s.revision ? revisionId(s.revision) : null,
        percent: s.percent ?? 0,
        tag: s.tag ?? null,
        uri: s.uri ?? null,
    }));
}

/** The tag URL to smoke-test, or an error naming the tag and the tags that exist. Pure. */
export function tagUrl(svc: ServiceView, tag: string): Parsed<string> {
    const hit = (svc.trafficStatuses ?? []).find((s) => s.tag === tag);
    if (hit?.uri) return { ok: true, value: hit.uri };
    const tags = (svc.trafficStatuses ?? []).map((s) => s.tag).filter((t): t is string => !!t);
    const have = tags.length > 0 ? tags.join(", ") : "none";
    const what = hit ? `has no URL yet` : `is not on the service`;
    return {
        ok: false,
        error:
            `traffic tag "${tag}" ${what} (tags on ${svc.name ?? "the service"}: ${have}). ` +
            "The revision under test must be written tagged at 0% before the runner starts; " +
            "check the Service resource's traffic in the Pulumi program and run `pulumi up` again.",
    };
}

/** The v2 enum for a traffic target by revision name (traffic_target.proto TrafficTargetAllocationType). */
export const BY_REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION";

/** The PATCH of a traffic change: path, query and body. Pure. */
export interface TrafficPatch {
    /** `v2/projects/{p}/locations/{r}/services/{s}`, relative to the API base. */
    path: string;
    /** Only `traffic` changes: every other field of the Service is left as the Pulumi program wrote it. */
    query: { updateMask: "traffic" };
    body: {
        /** The etag read with the service: a change made since is refused (409 ABORTED), not overwritten. */
        etag: string;
        traffic: { type: string; revision: string; percent: number; tag: string }[];
    };
}

/** `v2/projects/{p}/locations/{r}/services/{s}` (service.proto GetService / UpdateService). Pure. */
export function servicePath(spec: Pick<ReleaseSpec, "project" | "region" | "service">): string {
    return `v2/projects/${spec.project}/locations/${spec.region}/services/${spec.service}`;
}

/**
 * The traffic PATCH (UpdateServiceRequest: `updateMask` is optional and, when set, limits the
 * update to those fields; `etag` on the Service "may be used to detect modification conflict
 * during updates", and AIP-154 answers a stale one with ABORTED, HTTP 409). Pure.
 */
export function trafficPatch(
    spec: Pick<ReleaseSpec, "project" | "region" | "service">,
    target: NonNullable<ReleaseSpec["target"]>,
    etag: string,
): TrafficPatch {
    return {
        path: servicePath(spec),
        query: { updateMask: "traffic" },
        body: {
            etag,
            traffic: target.map((t) => ({
                type: BY_REVISION,
                revision: t.revision,
                percent: t.percent,
                tag: t.tag,
            })),
        },
    };
}

type Want = { revision: string | null; percent: number; tag: string | null };

const key = (t: Want) => `${t.revision ?? "LATEST"} ${t.percent}% tag ${t.tag ?? "-"}`;

/**
 * What differs between the traffic wanted and the traffic served, one line each (empty: they
 * match). Order does not matter; a missing percent is 0. Pure.
 */
export function trafficDiff(want: Want[], served: Want[]): string[] {
    const a = want.map(key).sort();
    const b = served.map(key).sort();
    const out: string[] = [];
    for (const w of a) if (!b.includes(w)) out.push(`missing: ${w}`);
    for (const s of b) if (!a.includes(s)) out.push(`unexpected: ${s}`);
    return out;
}

/** The traffic the Service resource asks for, read from its own `traffic` (when the spec has no target). Pure. */
export function wantedFromService(svc: ServiceView): Want[] {
    return (svc.traffic ?? []).map((t) => ({
        revision: t.revision ?? null,
        percent: t.percent ?? 0,
        tag: t.tag ?? null,
    }));
}

/**
 * The result line's content for the service as last read (components/gcp/release-result.ts, the
 * one definition both sides use): revision names short, zero percents as 0. Pure.
 */
export function resultOf(
    spec: Pick<ReleaseSpec, "service" | "smoke">,
    svc: ServiceView,
    smoke: SmokeReport | null,
): ReleaseResult {
    return {
        service: spec.service,
        smoked: spec.smoke?.tag ?? null,
        smoke,
        latestReadyRevision: svc.latestReadyRevision ? revisionId(svc.latestReadyRevision) : null,
        trafficStatuses: trafficLines(svc),
    };
}

/** The last stdout line: `release-result: <json>`, one line. Pure. */
export function resultLine(r: ReleaseResult): string {
    return formatReleaseResult(r);
}

/** Statuses worth another try: 429 and 5xx (google.rpc.Code RESOURCE_EXHAUSTED, UNAVAILABLE, ...). Pure. */
export function transient(status: number): boolean {
    return status === 429 || (status >= 500 && status <= 599);
}

export { backoffMs, MAX_ATTEMPTS } from "../../components/gcp/release-budget";
