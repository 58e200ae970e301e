/**
 * ECS blue-green lifecycle hook, stage POST_TEST_TRAFFIC_SHIFT: the green revision takes all of
 * the test listener's traffic and none of production's. This function runs the service's smoke
 * checks (components/smoke.ts) against the test listener and answers ECS with `hookStatus`:
 * - SUCCEEDED: `/readiness`, `/health` and every configured check answered as expected; ECS
 *   goes on to shift production traffic;
 * - FAILED: a check answered with the wrong status (e.g. 503); ECS rolls the deployment back and
 *   production never sees green;
 * - IN_PROGRESS: a check did not answer at all (timed out, connection refused: green still
 *   starting, or the listener not reachable yet); ECS invokes the hook again after
 *   `callBackDelay` seconds, until `SMOKE_MAX_WAIT_SECONDS` since the first invocation of this
 *   deployment have passed, then FAILED.
 * (Amazon ECS Developer Guide, "Lifecycle hooks for Amazon ECS service deployments".)
 *
 * Configured through environment variables the stack sets: SMOKE_BASE_URL, SMOKE_READINESS_PATH,
 * SMOKE_HEALTH_PATH, SMOKE_CHECKS (JSON list of { path, status? }), SMOKE_TIMEOUT_SECONDS,
 * SMOKE_HOST_HEADER, SMOKE_MAX_WAIT_SECONDS.
 */
import { describeSmoke, runSmoke, type SmokeCheck, type SmokeReport } from "../../components/smoke";

export type HookStatus = "SUCCEEDED" | "FAILED" | "IN_PROGRESS";

export interface HookEvent {
    executionId?: string;
    lifecycleStage?: string;
    resourceArn?: string;
    executionDetails?: Record<string, unknown>;
}

export interface HookResult {
    hookStatus: HookStatus;
    /** Seconds until ECS invokes the hook again (IN_PROGRESS only). */
    callBackDelay?: number;
}

/** Seconds ECS waits before the next invocation when the release does not answer yet. */
export const CALLBACK_DELAY_SECONDS = 30;

/**
 * The answer to ECS for one smoke report. A wrong status is final; no answer at all is retried
 * until the wait budget is spent. Pure.
 */
export function hookDecision(report: SmokeReport, waitedSeconds: number, maxWaitSeconds: number): HookResult {
    if (report.ok) return { hookStatus: "SUCCEEDED" };
    const answeredWrong = report.results.some((r) => !r.ok && r.status !== undefined);
    if (answeredWrong) return { hookStatus: "FAILED" };
    if (waitedSeconds + CALLBACK_DELAY_SECONDS <= maxWaitSeconds)
        return { hookStatus: "IN_PROGRESS", callBackDelay: CALLBACK_DELAY_SECONDS };
    return { hookStatus: "FAILED" };
}

export interface HookSettings {
    baseUrl: string;
    readinessPath: string;
    healthPath: string;
    checks: SmokeCheck[];
    timeoutSeconds: number;
    hostHeader?: string;
    maxWaitSeconds: number;
}

/** Settings from the function's environment; throws naming the variable on a bad value. Pure. */
export function settingsFrom(env: Record<string, string | undefined>): HookSettings {
    const baseUrl = env.SMOKE_BASE_URL;
    if (!baseUrl) throw new Error("SMOKE_BASE_URL is not set: the stack sets it to the test listener's URL");
    let checks: SmokeCheck[] = [];
    try {
        checks = JSON.parse(env.SMOKE_CHECKS ?? "[]");
    } catch {
        throw new Error(`SMOKE_CHECKS is not a JSON list of { path, status? }: ${env.SMOKE_CHECKS}`);
    }
    return {
        baseUrl,
        readinessPath: env.SMOKE_READINESS_PATH ?? "/readiness",
        healthPath: env.SMOKE_HEALTH_PATH ?? "/health",
        checks,
        timeoutSeconds: Number(env.SMOKE_TIMEOUT_SECONDS ?? 5),
        hostHeader: env.SMOKE_HOST_HEADER || undefined,
        maxWaitSeconds: Number(env.SMOKE_MAX_WAIT_SECONDS ?? 300),
    };
}

/** First invocation time per deployment execution, in this warm function. */
const firstSeen = new Map<string, number>();

export async function handler(event: HookEvent): Promise<HookResult> {
    const s = settingsFrom(process.env);
    const id = event.executionId ?? "unknown";
    const now = Date.now();
    if (!firstSeen.has(id)) firstSeen.set(id, now);
    const waited = (now - (firstSeen.get(id) ?? now)) / 1000;
    const report = await runSmoke({
        baseUrl: s.baseUrl,
        readinessPath: s.readinessPath,
        healthPath: s.healthPath,
        checks: s.checks,
        timeoutSeconds: s.timeoutSeconds,
        hostHeader: s.hostHeader,
        // The test listener serves the service's certificate on the load balancer's DNS name.
        insecureTls: true,
    });
    const result = hookDecision(report, waited, s.maxWaitSeconds);
    console.log(
        `${event.lifecycleStage ?? "hook"} ${id} after ${Math.round(waited)} s: ${result.hookStatus}\n${describeSmoke(report)}`,
    );
    if (result.hookStatus !== "IN_PROGRESS") firstSeen.delete(id);
    return result;
}
