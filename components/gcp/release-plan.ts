/**
 * What a Cloud Run release does, decided before anything is sent (pure functions, table-tested in
 * test/gcp-staged-release.test.ts): which traffic the Service resource writes, what the release
 * runner (scripts/gcp-release.ts, run by a `local.Command`) is asked to smoke-test and where it then
 * moves traffic, and how the runner's result line is read back. The flow and its semantics under
 * preview, refresh and a failed run are in components/gcp/release.ts and docs/gcp.md
 * ("Releases and rollback by traffic").
 */
import { REMEMBERED_REVISIONS, type TrafficEntry, revisionTag, trafficPlan } from "./cloud-run-service";

/** The command the release step runs, from the project root (the runner's contract). */
export const RELEASE_COMMAND = "node --require ./scripts/register.js scripts/gcp-release.ts";

export interface ReleasePlan {
    /**
     * `staged`: a revision that gains traffic has not passed a release; the Service serves
     * `previous` and tags the new one at 0%, the runner smokes it, then moves traffic.
     * With no `previous`, the revision that served at the last update (`lastServing`) stands in
     * for it while staged. `first`: nothing served before; the Service gives the new revision
     * 100% (Cloud Run needs traffic summing to 100) and the runner smokes it after. `direct`: every revision that gains traffic
     * has passed a release (a rollback, a canary going to 100); the Service writes the target and
     * the runner only reads it back.
     */
    kind: "staged" | "first" | "direct";
    /** The traffic the Service resource writes. */
    service: TrafficEntry[];
    /** The config's full list: what serves once the release is through. */
    target: TrafficEntry[];
    /** The tag the runner smoke-tests, or null. */
    smoke: { tag: string } | null;
    /** Where the runner moves traffic after the smoke, or null when the Service wrote it. */
    runnerTarget: TrafficEntry[] | null;
    /** The `released` output after a successful up: before, and every revision with traffic. */
    released: string[];
}

/**
 * The release for a traffic config (`cloudRun.traffic`), the revision this update creates and
 * the revisions that already passed a release (`released`) and the revision that served at the
 * stack's last update (`lastServing`, null when none did). Throws, naming `previous`, when a
 * revision other than the new one would gain traffic without having passed a release: only the
 * new revision can be tagged at 0% and smoke-tested first. Pure.
 */
export function releasePlan(
    service: string,
    traffic: { percent: number; previous?: string; keep: string[] },
    revision: string,
    released: readonly string[],
    lastServing: string | null = null,
): ReleasePlan {
    const target = trafficPlan(service, revision, traffic);
    const serving = target.filter((e) => e.percent > 0).map((e) => e.revision);
    const after = [...new Set([...serving, ...released])].slice(0, REMEMBERED_REVISIONS);
    const untested = serving.filter((r) => !released.includes(r));
    const other = untested.filter((r) => r !== revision);
    if (other.length > 0)
        throw new Error(
            `previous: revision ${other.join(", ")} would take traffic but has never passed a release's smoke test (it is not in this stack's released output); release it as the new revision (its image and config, percent 10 or 100) so it is tested first`,
        );
    if (untested.length === 0)
        return { kind: "direct", service: target, target, smoke: null, runnerTarget: null, released: after };
    const smoke = { tag: revisionTag(service, revision) };
    // Without `previous`, the revision that served last keeps serving while the new one is smoked.
    const serves = traffic.previous ?? (lastServing !== revision ? lastServing : null);
    if (!serves)
        return { kind: "first", service: target, target, smoke, runnerTarget: null, released: after };
    return {
        kind: "staged",
        service: trafficPlan(service, revision, { ...traffic, percent: 0, previous: serves }),
        target,
        smoke,
        runnerTarget: target,
        released: after,
    };
}

/** The smoke settings the runner reads (the AWS hook's: readiness, health, `services[].smoke`). */
export interface ReleaseChecks {
    readinessPath: string;
    healthPath: string;
    checks: { path: string; status?: number }[];
    timeoutSeconds: number;
}

/** `RELEASE_SPEC`, the runner's whole input: plain JSON, nothing secret. */
export interface ReleaseSpec {
    project: string;
    region: string;
    service: string;
    smoke: { tag: string } | null;
    target: TrafficEntry[] | null;
    checks: ReleaseChecks;
    /** The ID token's audience (the Service's custom audience) when the service is private. */
    audience: string | null;
    /** The tester service account whose ID token calls a private service. */
    tester: string | null;
}

/** `RELEASE_SPEC` as the command's environment carries it: keys in the contract's order. Pure. */
export function releaseSpecJson(spec: ReleaseSpec): string {
    return JSON.stringify({
        project: spec.project,
        region: spec.region,
        service: spec.service,
        smoke: spec.smoke,
        target: spec.target?.map((e) => ({ revision: e.revision, percent: e.percent, tag: e.tag })) ?? null,
        checks: {
            readinessPath: spec.checks.readinessPath,
            healthPath: spec.checks.healthPath,
            checks: spec.checks.checks.map((c) => (c.status === undefined ? { path: c.path } : c)),
            timeoutSeconds: spec.checks.timeoutSeconds,
        },
        audience: spec.audience,
        tester: spec.tester,
    });
}

export { releaseTimeoutMinutes } from "./release-budget";

/** The audience of a private service's ID tokens: a name under `.invalid` (RFC 2606), so no one owns it. Pure. */
export function releaseAudience(project: string, region: string, service: string): string {
    return `https://${service}.${region}.${project}.release-smoke.invalid`;
}

/**
 * The tester's account id: the service's account id (components/gcp/target.ts) cut to leave room
 * for `-smoke`, so the two never collide (6-30 characters, `[a-z]([-a-z0-9]*[a-z0-9])`). Pure.
 */
export function testerAccountId(serviceAccountId: string): string {
    return `${serviceAccountId.slice(0, 24).replace(/-+$/, "")}-smoke`;
}

/** The IAM member of the identity running `pulumi up`: a service account (CI) or a person. Pure. */
export function deployerMember(email: string): string {
    if (!email) throw new Error("the Google provider's credentials carry no email: cannot name the deployer");
    return email.endsWith(".gserviceaccount.com") ? `serviceAccount:${email}` : `user:${email}`;
}

export {
    formatReleaseResult,
    parseReleaseResult,
    RELEASE_RESULT_PREFIX,
    type ReleaseResult,
    servingOf,
    tagUrlsOf,
} from "./release-result";
