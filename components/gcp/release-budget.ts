/**
 * How long a release may take, one definition for both halves: the runner's retry, backoff, request
 * and operation limits (scripts/gcp-release/api.ts and release.ts run with these constants) and the
 * release step's `customTimeouts` (components/gcp/release.ts), which must outlast the runner's worst
 * case so the engine never cuts a run that would still finish, and report it, on its own.
 * test/gcp-release-budget.test.ts tables both from the same inputs.
 */
import { type SmokeArgs, smokePlan } from "../smoke";

/** How many times a transient failure (429, 5xx, no answer) is tried in all. */
export const MAX_ATTEMPTS = 5;

/** Milliseconds before retry `attempt` (1-based): 500 ms doubling, at most 8 s. Pure. */
export function backoffMs(attempt: number): number {
    return Math.min(8000, 500 * 2 ** (attempt - 1));
}

/** One HTTP request to a Google API gives up after this long (then counts as no answer, and is tried again). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long the traffic operation, and then the wait for the service to stop reconciling, may run each. */
export const OPERATION_TIMEOUT_MS = 300_000;
/** The longest pause between two polls of the operation or the service. */
export const POLL_MAX_MS = 2000;
/**
 * How long a refused generateIdToken (403/404) or readiness check (401/403) is tried again: the
 * program makes the IAM bindings the release relies on (the `allUsers` invoker, or the tester's
 * invoker and the deployer's token creator) just before the release step, and Google documents
 * policy changes as "typically 2 minutes, potentially 7 minutes or longer"
 * (https://cloud.google.com/iam/docs/access-change-propagation). RELEASE_SPEC.iamWaitSeconds
 * overrides it (tests).
 */
export const IAM_WAIT_MS = 420_000;
/** The longest pause between two tries while IAM bindings propagate. */
export const IAM_RETRY_MAX_MS = 10_000;

/** The pause between two tries during an IAM wait of `waitMs`: a tenth of it, 250 ms to IAM_RETRY_MAX_MS. Pure. */
export function iamRetryMs(waitMs: number): number {
    return Math.min(IAM_RETRY_MAX_MS, Math.max(250, Math.round(waitMs / 10)));
}

/** Starting Node and the TypeScript hook, and Application Default Credentials' own token calls. */
export const STARTUP_MS = 60_000;

/** The longest one API call can take: every attempt timing out, with the backoff between. Pure. */
export function callWorstMs(): number {
    let ms = MAX_ATTEMPTS * REQUEST_TIMEOUT_MS;
    for (let a = 1; a < MAX_ATTEMPTS; a++) ms += backoffMs(a);
    return ms;
}

/**
 * The runner's worst case in seconds, every step at its limit: start; read the service; the IAM
 * wait (one deadline shared by the token and the readiness check, each try started before it ends
 * plus a pause); mint the tester's token; each smoke check timing out; the traffic PATCH, then either its operation polled
 * to the limit or (a lost answer, 409) the service read again; the wait for reconciling to the
 * limit, with a read before and after. Pure.
 */
export function runnerWorstCaseSeconds(
    checks: Pick<SmokeArgs, "readinessPath" | "healthPath" | "checks"> & { timeoutSeconds: number },
): number {
    const call = callWorstMs();
    const smoke = smokePlan(checks).length * checks.timeoutSeconds * 1000;
    const waitOperation = OPERATION_TIMEOUT_MS + POLL_MAX_MS + call;
    const settle = call + OPERATION_TIMEOUT_MS + POLL_MAX_MS + call;
    const iamWait = IAM_WAIT_MS + 2 * IAM_RETRY_MAX_MS;
    const ms = STARTUP_MS + call + iamWait + call + smoke + call + Math.max(waitOperation, call) + settle;
    return Math.ceil(ms / 1000);
}

/** The release step's create/update timeout in minutes: the runner's worst case and one minute more. Pure. */
export function releaseTimeoutMinutes(
    checks: Pick<SmokeArgs, "readinessPath" | "healthPath" | "checks"> & { timeoutSeconds: number },
): number {
    return Math.ceil(runnerWorstCaseSeconds(checks) / 60) + 1;
}
