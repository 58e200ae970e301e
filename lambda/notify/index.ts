/**
 * The alarm forwarder: SNS invokes it (subscription protocol "lambda") with each CloudWatch alarm
 * state change; it posts a Slack message, a PagerDuty Events API v2 event or the generic webhook
 * payload to every destination whose filter hears the event. Each destination's URL or key is
 * read from Secrets Manager (its ARN is in the environment; the value never is), cached for five
 * minutes, and never logged: the log says destination name, type, status and attempts.
 *
 * Delivery retries a timeout, a network error, 429 and 5xx with backoff, each attempt bounded so
 * all of them finish inside the Lambda timeout; a vendor's 4xx is final (the payload is wrong, a
 * retry would not change it) and its answer is logged. When a destination was not reached the
 * invocation fails, so Lambda's Errors metric shows it and the asynchronous invoke is retried.
 */
import { noticeOf, pagerDutyEvent, parseAlarm, slackMessage, webhookPayload } from "./messages";
import type { AlarmContext, NotifyEvent } from "./messages";

export interface DestinationRef {
    name: string;
    type: "slack" | "pagerduty" | "webhook";
    events: NotifyEvent[];
    /** Secrets Manager ARN of the webhook URL or integration key. */
    secretArn: string;
}

export interface SnsEvent {
    Records: { EventSource?: string; Sns: { Message: string; Subject?: string | null } }[];
}

export interface LambdaContext {
    getRemainingTimeInMillis(): number;
}

export interface PostResult {
    status: number;
    text: string;
}

export interface ForwarderDeps {
    destinations: DestinationRef[];
    context: AlarmContext;
    getSecret(arn: string): Promise<string>;
    /** POST JSON; rejects on a network error or when `timeoutMs` passes. @default fetch */
    post?(url: string, body: string, timeoutMs: number): Promise<PostResult>;
    log?(line: string): void;
    /** @default 5000 */
    attemptTimeoutMs?: number;
    /** @default 3 */
    maxAttempts?: number;
    /** @default "https://events.pagerduty.com/v2/enqueue" */
    pagerDutyUrl?: string;
    /** Kept free of the deadline for logging and returning. @default 1000 */
    marginMs?: number;
}

export interface Delivery {
    destination: string;
    type: string;
    delivered: boolean;
    status: number;
    attempts: number;
    skipped?: boolean;
}

async function fetchPost(url: string, body: string, timeoutMs: number): Promise<PostResult> {
    const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: (await res.text()).slice(0, 500) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryable = (status: number) => status === 0 || status === 429 || status >= 500;

/** The handler, with its outside world passed in (tests pass a secret map and the loopback receiver). */
export function makeHandler(deps: ForwarderDeps) {
    const post = deps.post ?? fetchPost;
    const log = deps.log ?? ((l: string) => console.log(l));
    const attemptTimeoutMs = deps.attemptTimeoutMs ?? 5000;
    const maxAttempts = deps.maxAttempts ?? 3;
    const margin = deps.marginMs ?? 1000;
    const pdUrl = deps.pagerDutyUrl ?? "https://events.pagerduty.com/v2/enqueue";

    return async (event: SnsEvent, lambda?: LambdaContext): Promise<Delivery[]> => {
        const started = Date.now();
        const remaining = () =>
            lambda ? lambda.getRemainingTimeInMillis() - margin : 30000 - margin - (Date.now() - started);
        const out: Delivery[] = [];
        const deliver = async (d: DestinationRef, notice: ReturnType<typeof noticeOf>): Promise<Delivery> => {
            if (!d.events.includes(notice.event)) {
                return {
                    destination: d.name,
                    type: d.type,
                    delivered: false,
                    status: 0,
                    attempts: 0,
                    skipped: true,
                };
            }
            let secret: string;
            try {
                secret = (await deps.getSecret(d.secretArn)).trim();
            } catch (e) {
                log(
                    JSON.stringify({
                        msg: "secret unreadable",
                        destination: d.name,
                        error: String((e as Error).name ?? e),
                    }),
                );
                return { destination: d.name, type: d.type, delivered: false, status: 0, attempts: 0 };
            }
            const [url, body] =
                d.type === "slack"
                    ? [secret, slackMessage(notice)]
                    : d.type === "pagerduty"
                      ? [pdUrl, pagerDutyEvent(notice, secret, `${deps.context.prefix} ${notice.service}`)]
                      : [secret, webhookPayload(notice, deps.context)];
            const payload = JSON.stringify(body);
            const redact = (s: string) => s.split(secret).join("[secret]");
            let status = 0;
            let attempts = 0;
            while (attempts < maxAttempts) {
                const budget = Math.min(attemptTimeoutMs, remaining());
                if (budget < 200) break;
                attempts += 1;
                let answer = "";
                try {
                    const r = await post(url, payload, budget);
                    status = r.status;
                    answer = r.text;
                } catch (e) {
                    status = 0;
                    answer =
                        (e as Error).name === "TimeoutError"
                            ? `no answer within ${budget} ms`
                            : "network error";
                }
                const ok = status >= 200 && status < 300;
                log(
                    JSON.stringify({
                        msg: ok ? "delivered" : "not delivered",
                        destination: d.name,
                        type: d.type,
                        attempt: attempts,
                        status,
                        ...(ok ? {} : { answer: redact(answer).slice(0, 200) }),
                    }),
                );
                if (ok || !retryable(status)) break;
                const backoff = Math.min(500 * 2 ** (attempts - 1), remaining() - 200);
                if (attempts < maxAttempts && backoff > 0) await sleep(backoff);
            }
            return {
                destination: d.name,
                type: d.type,
                delivered: status >= 200 && status < 300,
                status,
                attempts,
            };
        };
        for (const record of event.Records ?? []) {
            const alarm = parseAlarm(record.Sns.Message);
            const notice = noticeOf(alarm, deps.context);
            log(JSON.stringify({ msg: "alarm", alarm: alarm.name, state: alarm.state, event: notice.event }));
            // In parallel: a destination that hangs does not use up the others' time.
            out.push(...(await Promise.all(deps.destinations.map((d) => deliver(d, notice)))));
        }
        const failed = out.filter((d) => !d.delivered && !d.skipped);
        if (failed.length > 0)
            throw new Error(
                `not delivered to: ${failed.map((f) => `${f.destination} (${f.type}: ${f.status || "no answer"} after ${f.attempts} attempt${f.attempts === 1 ? "" : "s"})`).join(", ")}`,
            );
        return out;
    };
}

/** Secrets Manager through the AWS SDK the nodejs20.x runtime provides, cached for five minutes. */
function secretsManagerReader(): (arn: string) => Promise<string> {
    const cache = new Map<string, { value: string; until: number }>();
    let client: any;
    return async (arn) => {
        const hit = cache.get(arn);
        if (hit && hit.until > Date.now()) return hit.value;
        const sm = require("@aws-sdk/client-secrets-manager");
        client ??= new sm.SecretsManagerClient({});
        const r = await client.send(new sm.GetSecretValueCommand({ SecretId: arn }));
        const value = String(r.SecretString ?? "");
        cache.set(arn, { value, until: Date.now() + 300000 });
        return value;
    };
}

let fromEnv: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point: configuration from the environment the component sets. */
export const handler = (event: SnsEvent, context: LambdaContext) => {
    fromEnv ??= makeHandler({
        destinations: JSON.parse(process.env.DESTINATIONS ?? "[]"),
        context: JSON.parse(process.env.ALARM_CONTEXT ?? "{}"),
        getSecret: secretsManagerReader(),
    });
    return fromEnv(event, context);
};
