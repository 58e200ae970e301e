/**
 * Smoke checks for a release before it takes production traffic: the ECS lifecycle hook (AWS,
 * `POST_TEST_TRAFFIC_SHIFT` against the test listener) and the Cloud Run release run (GCP, against
 * the new revision's tag URL) both call `runSmoke`.
 *
 * Every check is one HTTP GET. `/readiness` and `/health` (the service's configured paths) must
 * answer 2xx; each configured extra check must answer its `status` (any 2xx when unset). A check
 * that does not answer within `timeoutSeconds` fails with "timed out".
 *
 * Pure TypeScript on node built-ins only: it runs in Lambda's nodejs20.x runtime and in Node.
 */
import * as http from "node:http";
import * as https from "node:https";

/** One extra check from `services[].smoke.checks[]`. */
export interface SmokeCheck {
    /** Absolute URL path, e.g. `/v1/orders?limit=1`. */
    path: string;
    /** Expected HTTP status. @default any 2xx */
    status?: number;
}

export interface SmokeArgs {
    /** Base URL of the release under test, e.g. `https://alb.example.com:8443` or a Cloud Run tag URL. */
    baseUrl: string;
    /** The service's readiness path. @default "/readiness" */
    readinessPath?: string;
    /** The service's health path. @default "/health" */
    healthPath?: string;
    /** Extra checks from config. @default [] */
    checks?: SmokeCheck[];
    /** Per-request timeout in seconds. @default 5 */
    timeoutSeconds?: number;
    /**
     * Accept a TLS certificate that does not match the host. The test listener serves the
     * production certificate on the load balancer's own DNS name, whose host does not match it.
     * @default false
     */
    insecureTls?: boolean;
    /** Host header to send (e.g. the certificate's domain), when it differs from the URL's host. @default the URL's host */
    hostHeader?: string;
    /**
     * Extra request headers sent with every check, e.g. `{ authorization: "Bearer <ID token>" }`
     * for a Cloud Run service that is not public. Never logged or put in a result.
     * @default {}
     */
    headers?: Record<string, string>;
}

/** The outcome of one check. */
export interface SmokeResult {
    path: string;
    /** What the check expects, in words: `2xx` or `404`. */
    expected: string;
    /** The status received, when there was an answer. */
    status?: number;
    ok: boolean;
    /** Why it failed, in words a user sees (`timed out after 5 s`, `connect ECONNREFUSED`). */
    error?: string;
    durationMs: number;
}

export interface SmokeReport {
    ok: boolean;
    results: SmokeResult[];
}

/** The checks to run, in order: readiness, health, then the extra ones (duplicates dropped). Pure. */
export function smokePlan(args: Pick<SmokeArgs, "readinessPath" | "healthPath" | "checks">): SmokeCheck[] {
    const out: SmokeCheck[] = [
        { path: args.readinessPath ?? "/readiness" },
        { path: args.healthPath ?? "/health" },
        ...(args.checks ?? []),
    ];
    const seen = new Set<string>();
    return out.filter((c) => {
        const key = `${c.path} ${c.status ?? "2xx"}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

/** Whether a status satisfies a check. Pure. */
export function statusMatches(check: SmokeCheck, status: number): boolean {
    return check.status === undefined ? status >= 200 && status < 300 : status === check.status;
}

/** The URL of one check: the base URL's origin and path prefix joined with the check's path. Pure. */
export function checkUrl(baseUrl: string, path: string): URL {
    const base = new URL(baseUrl);
    const prefix = base.pathname.replace(/\/+$/, "");
    return new URL(`${base.origin}${prefix}${path}`);
}

function getStatus(
    url: URL,
    timeoutMs: number,
    insecureTls: boolean,
    hostHeader: string | undefined,
    extraHeaders: Record<string, string>,
): Promise<number> {
    return new Promise((resolve, reject) => {
        const lib = url.protocol === "https:" ? https : http;
        const req = lib.request(
            url,
            {
                method: "GET",
                headers: {
                    ...extraHeaders,
                    "user-agent": "service-deploy-smoke",
                    ...(hostHeader ? { host: hostHeader } : {}),
                },
                ...(url.protocol === "https:" ? { rejectUnauthorized: !insecureTls } : {}),
            },
            (res) => {
                res.resume();
                res.on("end", () => resolve(res.statusCode ?? 0));
                res.on("error", reject);
            },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs / 1000} s`)));
        req.on("error", reject);
        req.end();
    });
}

/** Run every check in order; the report is ok when all are. Never throws. */
export async function runSmoke(args: SmokeArgs): Promise<SmokeReport> {
    const timeoutMs = (args.timeoutSeconds ?? 5) * 1000;
    const results: SmokeResult[] = [];
    for (const check of smokePlan(args)) {
        const started = Date.now();
        const expected = check.status === undefined ? "2xx" : String(check.status);
        try {
            const status = await getStatus(
                checkUrl(args.baseUrl, check.path),
                timeoutMs,
                args.insecureTls ?? false,
                args.hostHeader,
                args.headers ?? {},
            );
            results.push({
                path: check.path,
                expected,
                status,
                ok: statusMatches(check, status),
                durationMs: Date.now() - started,
            });
        } catch (e) {
            results.push({
                path: check.path,
                expected,
                ok: false,
                error: e instanceof Error ? e.message : String(e),
                durationMs: Date.now() - started,
            });
        }
    }
    return { ok: results.every((r) => r.ok), results };
}

/** One line per check, for logs: `GET /health -> 503 (expected 2xx) FAIL`. Pure. */
export function describeSmoke(report: SmokeReport): string {
    return report.results
        .map(
            (r) =>
                `GET ${r.path} -> ${r.status ?? r.error} (expected ${r.expected}) ${r.ok ? "ok" : "FAIL"} in ${r.durationMs} ms`,
        )
        .join("\n");
}
