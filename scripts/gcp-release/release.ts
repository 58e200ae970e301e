/**
 * One Cloud Run release, step by step: read the service; smoke-test the revision on its traffic
 * tag's URL (with an ID token for `tester` on a private service); only when every check passes,
 * move the traffic to `target` (PATCH with `updateMask=traffic` and the etag read, so a change
 * made meanwhile is refused rather than overwritten); wait for the operation; read the service
 * again and verify the traffic served is the traffic wanted. A failed smoke test changes nothing.
 * A generateIdToken refused with 403/404, or a readiness check refused with 401/403, is tried again
 * for the IAM wait (RELEASE_SPEC.iamWaitSeconds, @default IAM_WAIT_MS), since the bindings the
 * program has just made may still be propagating.
 *
 * Exit codes: 0 released (or verified), 1 smoke test or API failure, 2 bad spec (scripts/gcp-release.ts).
 */
import { cite } from "../../components/failures";
import { describeSmoke, runSmoke, type SmokeReport } from "../../components/smoke";
import { IAM_WAIT_MS, iamRetryMs, OPERATION_TIMEOUT_MS } from "../../components/gcp/release-budget";
import { ID_TOKEN_ROLE } from "../../components/gcp/release-result";
import { ApiError, AuthError, GoogleApi, type TokenSource } from "./api";
import {
    type ReleaseSpec,
    resultLine,
    resultOf,
    type ServiceView,
    servicePath,
    tagUrl,
    trafficDiff,
    trafficLines,
    trafficPatch,
    wantedFromService,
} from "./spec";

export interface ReleaseDeps {
    auth: TokenSource;
    /** @default https://run.googleapis.com (RELEASE_RUN_API, tests only) */
    runApi?: string;
    /** @default https://iamcredentials.googleapis.com (RELEASE_IAM_API, tests only) */
    iamApi?: string;
    /** Human progress lines and the result line (stdout). */
    out: (line: string) => void;
    /** Failures, with what to do next (stderr). */
    err: (line: string) => void;
    /** How long the traffic operation, and the wait for reconciling, may run. @default OPERATION_TIMEOUT_MS (components/gcp/release-budget.ts) */
    operationTimeoutMs?: number;
}

/** What to do next after an API failure, by its HTTP status. Pure. */
export function nextStep(e: unknown, spec: Pick<ReleaseSpec, "project" | "region" | "service">): string {
    if (e instanceof AuthError)
        return (
            "sign in for Application Default Credentials (`gcloud auth application-default login` " +
            "on a laptop; workload identity federation in CI), then run `pulumi up` again"
        );
    if (!(e instanceof ApiError))
        return "run `pulumi up` again; if it fails the same way, look at the service in the console";
    if (e.status === 401 || e.status === 403)
        return (
            "check the credentials the runner uses (Application Default Credentials: `gcloud auth " +
            "application-default login` on a laptop, workload identity in CI) and their roles: " +
            `roles/run.admin on the service, and ${ID_TOKEN_ROLE} on the tester ` +
            "account for a service that is not public"
        );
    if (e.status === 404)
        return `check that service "${spec.service}" exists in project "${spec.project}", region "${spec.region}"`;
    if (e.status === 409)
        return "the service changed while the release ran (etag mismatch); read what changed, then run `pulumi up` again";
    if (e.status === 0 || e.status === 429 || e.status >= 500)
        return "Google did not answer after retries: run `pulumi up` again in a few minutes";
    return "fix what the message names, then run `pulumi up` again";
}

/**
 * What to do about a failed smoke test: a service that refuses the checks (401/403) wants a
 * tester account, or the tester its invoker role; anything else is the release's own answer. Pure.
 */
export function smokeHint(report: SmokeReport, tester: string | null): string {
    const refused = report.results.some((r) => r.status === 401 || r.status === 403);
    if (refused && !tester)
        return (
            "the service refuses unauthenticated requests: its `allUsers` invoker binding may not have " +
            "propagated yet (IAM changes take typically 2 minutes, potentially 7 or longer), or an " +
            "organization policy (domain restricted sharing) refused it; wait a few minutes or check the binding"
        );
    if (refused)
        return (
            `the service refuses ${tester}'s ID token: its roles/run.invoker binding may not have ` +
            "propagated yet, or is missing; check it, and that the audience is one the service accepts"
        );
    return "fix the release (or its smoke checks in services[].smoke)";
}

/**
 * The message of a failed smoke test. A revision that never answered its readiness path (no
 * answer, or one that is not 2xx and not a refusal) is SD-018 "new version never becomes ready",
 * cited as components/failures.ts `cite` gives it; any other failure names the checks' hint. Pure.
 */
export function smokeFailure(
    report: SmokeReport,
    at: { revision: string; tag: string; url: string; readinessPath: string; tester: string | null },
): string {
    const kept = `traffic was not moved. The revision stays at 0% on ${at.url} for a look`;
    const ready = report.results.find((r) => r.path === at.readinessPath);
    const refused = readinessRefused(report, at.readinessPath);
    if (ready && !ready.ok && !refused)
        return cite(
            "SD-018",
            `revision ${at.revision} on tag "${at.tag}" never answered its readiness path ${at.readinessPath} ` +
                `(${ready.status ?? ready.error}); ${kept}; read the revision's log (Cloud Run console, ` +
                "the revision's Logs), fix the app, then run `pulumi up` again",
        );
    return `smoke test of tag "${at.tag}" failed; ${kept}; ${smokeHint(report, at.tester)}, then run \`pulumi up\` again.`;
}

/** Whether an answer is IAM refusing a binding that may still be propagating: generateIdToken 403/404. Pure. */
export function idTokenRefused(e: unknown): boolean {
    return e instanceof ApiError && (e.status === 403 || e.status === 404);
}

/** Whether the smoke run's readiness check was refused (401/403), as before an invoker binding propagates. Pure. */
export function readinessRefused(report: SmokeReport, readinessPath: string): boolean {
    const ready = report.results.find((r) => r.path === readinessPath);
    return ready?.status === 401 || ready?.status === 403;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `attempt` until `refused(result or error)` is false or the IAM wait that ends at `deadline` has
 * passed, pausing between tries; the last result (or its error, thrown).
 */
async function whileIamPropagates<T>(
    what: string,
    attempt: () => Promise<T>,
    refused: (r: { value?: T; error?: unknown }) => boolean,
    deadline: number,
    pauseMs: number,
    out: (line: string) => void,
): Promise<T> {
    for (;;) {
        let r: { value?: T; error?: unknown };
        try {
            r = { value: await attempt() };
        } catch (error) {
            r = { error };
        }
        if (!refused(r) || Date.now() >= deadline) {
            if ("error" in r) throw r.error;
            return r.value as T;
        }
        out(
            `  ${what} refused: IAM bindings made moments ago may not have propagated yet (typically 2 minutes, ` +
                `potentially 7 or longer); trying again in ${pauseMs} ms, for ${Math.ceil((deadline - Date.now()) / 1000)} s more`,
        );
        await sleep(pauseMs);
    }
}

/** Run one release; the process exit code (0 or 1). Never throws. */
export async function release(spec: ReleaseSpec, deps: ReleaseDeps): Promise<number> {
    const api = new GoogleApi({
        runApi: deps.runApi,
        iamApi: deps.iamApi,
        auth: deps.auth,
        log: deps.out,
    });
    const path = servicePath(spec);
    let last: ServiceView | undefined;
    let smoke: SmokeReport | null = null;
    const finish = (code: number): number => {
        if (last) deps.out(resultLine(resultOf(spec, last, smoke)));
        return code;
    };
    const fail = (msg: string, e?: unknown): number => {
        deps.err(`gcp-release: ${msg}`);
        if (e !== undefined) deps.err(`gcp-release: next: ${nextStep(e, spec)}`);
        return finish(1);
    };

    const iamWaitMs = (spec.iamWaitSeconds ?? IAM_WAIT_MS / 1000) * 1000;
    const pauseMs = iamRetryMs(iamWaitMs);
    try {
        deps.out(`reading ${path}`);
        last = await api.getService(path);

        if (spec.smoke) {
            const url = tagUrl(last, spec.smoke.tag);
            if (!url.ok) return fail(url.error);
            const revision = last.trafficStatuses?.find((s) => s.tag === spec.smoke?.tag)?.revision;
            const headers: Record<string, string> = {};
            // One IAM wait for the token and the readiness check together (release-budget.ts counts it once).
            const deadline = Date.now() + iamWaitMs;
            if (spec.tester) {
                const audience = spec.audience ?? last.uri;
                if (!audience)
                    return fail("the service has no URL to use as the ID token's audience: set audience");
                deps.out(`minting an ID token for ${spec.tester} (audience ${audience})`);
                const tester = spec.tester;
                const token = await whileIamPropagates(
                    `generateIdToken for ${tester}`,
                    () => api.idToken(tester, audience),
                    (r) => idTokenRefused(r.error),
                    deadline,
                    pauseMs,
                    deps.out,
                );
                headers.authorization = `Bearer ${token}`;
            }
            deps.out(`smoke-testing revision ${revision ?? "?"} on tag "${spec.smoke.tag}": ${url.value}`);
            const checks = spec.checks;
            smoke = await whileIamPropagates(
                `the readiness check ${checks.readinessPath}`,
                () =>
                    runSmoke({
                        baseUrl: url.value,
                        readinessPath: checks.readinessPath,
                        healthPath: checks.healthPath,
                        checks: checks.checks,
                        timeoutSeconds: checks.timeoutSeconds,
                        headers,
                    }),
                (r) => r.value !== undefined && readinessRefused(r.value, checks.readinessPath),
                deadline,
                pauseMs,
                deps.out,
            );
            for (const line of describeSmoke(smoke).split("\n")) deps.out(`  ${line}`);
            if (!smoke.ok)
                return fail(
                    smokeFailure(smoke, {
                        revision: revision ?? "?",
                        tag: spec.smoke.tag,
                        url: url.value,
                        readinessPath: spec.checks.readinessPath,
                        tester: spec.tester,
                    }),
                );
            deps.out("smoke test passed");
        }

        if (spec.target) {
            const before = trafficDiff(spec.target, trafficLines(last));
            if (before.length === 0) deps.out("traffic already as wanted: nothing to move");
            else {
                const etag = last.etag;
                if (!etag) return fail(`${path} answered without an etag; run \`pulumi up\` again`);
                deps.out(
                    `moving traffic: ${spec.target.map((t) => `${t.revision} ${t.percent}% (tag ${t.tag})`).join(", ")}`,
                );
                try {
                    const op = await api.patchTraffic(trafficPatch(spec, spec.target, etag));
                    const done = await api.waitOperation(op, deps.operationTimeoutMs ?? OPERATION_TIMEOUT_MS);
                    if (done.error)
                        return fail(
                            `the traffic update failed: ${done.error.message ?? `code ${done.error.code}`}; ` +
                                "traffic stays as it was. Look at the revisions in the console, then run `pulumi up` again",
                        );
                } catch (e) {
                    // A retried PATCH whose first try did land answers 409 (the etag moved): the
                    // service then already asks for our traffic. Anything else is someone else's.
                    if (!(e instanceof ApiError && e.status === 409)) throw e;
                    deps.out(`  ${e.message}; reading the service to see whose change it was`);
                    last = await api.getService(path);
                    const diff = trafficDiff(spec.target, wantedFromService(last));
                    if (diff.length > 0)
                        return fail(
                            `${e.message}; the service asks for other traffic (${diff.join("; ")})`,
                            e,
                        );
                    deps.out(
                        "  the service already asks for this traffic: an earlier try of this change landed",
                    );
                }
            }
        }

        last = await api.getSettledService(path, deps.operationTimeoutMs ?? OPERATION_TIMEOUT_MS);
        const want = spec.target ?? wantedFromService(last);
        const diff = trafficDiff(want, trafficLines(last));
        if (diff.length > 0)
            return fail(
                `traffic read back differs from what was asked: ${diff.join("; ")}. ` +
                    "Look at the service's revisions in the console, then run `pulumi up` again",
            );
        deps.out(
            `traffic serves: ${trafficLines(last)
                .map((t) => `${t.revision} ${t.percent}%${t.tag ? ` (tag ${t.tag})` : ""}`)
                .join(", ")}`,
        );
        return finish(0);
    } catch (e) {
        return fail(e instanceof Error ? e.message : String(e), e);
    }
}
