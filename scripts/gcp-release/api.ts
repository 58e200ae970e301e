/**
 * The release runner's calls to Google: the Cloud Run Admin API v2 (get a service, patch its
 * traffic, poll the long-running operation) and the IAM Service Account Credentials API
 * (`generateIdToken`). Plain HTTPS+JSON with an access token from an injectable source
 * (Application Default Credentials in `scripts/gcp-release.ts`); 429 and 5xx are retried with a
 * bounded backoff. No token is ever put in a message.
 *
 * Paths from googleapis/googleapis: `google/cloud/run/v2/service.proto` (GetService
 * `GET /v2/{name=projects/* /locations/* /services/*}`, UpdateService `PATCH` the same with body
 * `service`), `google/cloud/run/v2/run_v2.yaml` (GetOperation `GET /v2/{name=projects/* /locations/* /operations/*}`),
 * `google/iam/credentials/v1/iamcredentials.proto` (`POST /v1/{name=projects/* /serviceAccounts/*}:generateIdToken`).
 */
import {
    backoffMs,
    MAX_ATTEMPTS,
    POLL_MAX_MS,
    REQUEST_TIMEOUT_MS,
} from "../../components/gcp/release-budget";
import { type ServiceView, type TrafficPatch, transient } from "./spec";

export const RUN_API = "https://run.googleapis.com";
export const IAM_API = "https://iamcredentials.googleapis.com";

/**
 * Where the runner gets the headers that authorize a call: `authorization` with an OAuth access
 * token and, when the credentials carry a quota project, `x-goog-user-project` (ADC in
 * production, a loopback STS in tests).
 */
export interface TokenSource {
    requestHeaders(): Promise<Record<string, string>>;
}

export interface ApiOptions {
    /** @default https://run.googleapis.com */
    runApi?: string;
    /** @default https://iamcredentials.googleapis.com */
    iamApi?: string;
    auth: TokenSource;
    /** Progress lines (retries, operation polls). */
    log: (line: string) => void;
    /** @default real timers; tests shorten nothing, the fake answers at once */
    sleep?: (ms: number) => Promise<void>;
}

/** A Google API error, with the HTTP status and google.rpc status name (`ABORTED`, `NOT_FOUND`). */
export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly rpcStatus: string,
        readonly what: string,
        detail: string,
    ) {
        super(`${what}: HTTP ${status}${rpcStatus ? ` ${rpcStatus}` : ""}: ${detail}`);
    }
}

/** No access token from the credentials (Application Default Credentials in production). */
export class AuthError extends Error {
    constructor(detail: string) {
        super(`no access token from Application Default Credentials: ${detail}`);
    }
}

export interface Operation {
    name?: string | null;
    done?: boolean | null;
    error?: { code?: number | null; message?: string | null } | null;
    response?: ServiceView | null;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class GoogleApi {
    private readonly runApi: string;
    private readonly iamApi: string;
    private readonly sleep: (ms: number) => Promise<void>;

    constructor(private readonly o: ApiOptions) {
        this.runApi = (o.runApi ?? RUN_API).replace(/\/+$/, "");
        this.iamApi = (o.iamApi ?? IAM_API).replace(/\/+$/, "");
        this.sleep = o.sleep ?? sleepReal;
    }

    /** One call, retried on 429/5xx and on a connection that fails, up to MAX_ATTEMPTS. */
    private async call<T>(what: string, method: string, url: string, body?: unknown): Promise<T> {
        for (let attempt = 1; ; attempt++) {
            let status = 0;
            let text = "";
            const auth = await this.authHeaders();
            try {
                const res = await fetch(url, {
                    method,
                    headers: {
                        ...auth,
                        ...(body === undefined ? {} : { "content-type": "application/json" }),
                    },
                    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
                    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
                });
                status = res.status;
                text = await res.text();
                if (res.ok) return (text ? JSON.parse(text) : {}) as T;
            } catch (e) {
                if (e instanceof ApiError) throw e;
                if (status !== 0) throw e;
                text = e instanceof Error ? `${e.message}${causeOf(e)}` : String(e);
            }
            const err = apiError(what, status, text);
            if ((status === 0 || transient(status)) && attempt < MAX_ATTEMPTS) {
                const wait = backoffMs(attempt);
                this.o.log(`  ${err.message}; try ${attempt + 1} of ${MAX_ATTEMPTS} in ${wait} ms`);
                await this.sleep(wait);
                continue;
            }
            throw err;
        }
    }

    /** The authorizing headers, or an AuthError (not retried: google-auth-library retries its own calls). */
    private async authHeaders(): Promise<Record<string, string>> {
        try {
            return await this.o.auth.requestHeaders();
        } catch (e) {
            throw new AuthError(e instanceof Error ? e.message : String(e));
        }
    }

    getService(path: string): Promise<ServiceView> {
        return this.call<ServiceView>(`GET ${path}`, "GET", `${this.runApi}/${path}`);
    }

    /**
     * The service once Cloud Run has finished reconciling it (`reconciling` false: then
     * `trafficStatuses` match `traffic`, per the field's documentation), or as it stands after
     * `timeoutMs`.
     */
    async getSettledService(path: string, timeoutMs: number): Promise<ServiceView> {
        const started = Date.now();
        let svc = await this.getService(path);
        for (let i = 1; svc.reconciling && Date.now() - started < timeoutMs; i++) {
            this.o.log(`  ${path} is reconciling; reading it again`);
            await this.sleep(Math.min(POLL_MAX_MS, 100 * 2 ** i));
            svc = await this.getService(path);
        }
        return svc;
    }

    patchTraffic(p: TrafficPatch): Promise<Operation> {
        const url = `${this.runApi}/${p.path}?updateMask=${encodeURIComponent(p.query.updateMask)}`;
        return this.call<Operation>(`PATCH ${p.path} (traffic)`, "PATCH", url, p.body);
    }

    getOperation(name: string): Promise<Operation> {
        return this.call<Operation>(`GET v2/${name}`, "GET", `${this.runApi}/v2/${name}`);
    }

    /** Poll an operation until `done`, at most `timeoutMs`; the finished operation. */
    async waitOperation(op: Operation, timeoutMs: number): Promise<Operation> {
        const started = Date.now();
        let cur = op;
        for (let i = 1; !cur.done; i++) {
            if (!cur.name) throw new Error("the traffic update answered an operation without a name");
            if (Date.now() - started > timeoutMs)
                throw new Error(
                    `operation ${cur.name} still running after ${Math.round(timeoutMs / 1000)} s: ` +
                        "look at the service in the console (Revisions tab), then run `pulumi up` again",
                );
            await this.sleep(Math.min(POLL_MAX_MS, 100 * 2 ** i));
            cur = await this.getOperation(cur.name);
        }
        return cur;
    }

    /**
     * An ID token for `email` (IAMCredentials generateIdToken: `audience` required, `includeEmail`
     * puts `email` in the token, which Cloud Run's invoker check reads). The caller needs
     * `iam.serviceAccounts.getOpenIdToken` on that account (ID_TOKEN_ROLE, components/gcp/release-result.ts).
     */
    async idToken(email: string, audience: string): Promise<string> {
        const url = `${this.iamApi}/v1/projects/-/serviceAccounts/${encodeURIComponent(email)}:generateIdToken`;
        const r = await this.call<{ token?: string }>(`generateIdToken for ${email}`, "POST", url, {
            audience,
            includeEmail: true,
        });
        if (!r.token) throw new Error(`generateIdToken for ${email} answered without a token`);
        return r.token;
    }
}

function causeOf(e: Error): string {
    const c = (e as { cause?: unknown }).cause;
    return c instanceof Error ? ` (${c.message})` : "";
}

/** The error for one failed call, from Google's JSON error body (`{ error: { code, message, status } }`). */
export function apiError(what: string, status: number, text: string): ApiError {
    if (status === 0) return new ApiError(0, "", what, `no answer: ${text}`);
    try {
        const e = JSON.parse(text)?.error;
        if (e && typeof e === "object")
            return new ApiError(status, String(e.status ?? ""), what, String(e.message ?? ""));
    } catch {
        // not JSON: quote the start of the body
    }
    return new ApiError(status, "", what, text.slice(0, 300));
}
