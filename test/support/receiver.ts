/**
 * A loopback HTTP receiver that accepts only what the vendors accept, so a test that passes here
 * posts something Slack and PagerDuty would take:
 *
 * - Slack incoming webhooks (POST /services/<T>/<B>/<secret>): `Content-Type: application/json`,
 *   a JSON object with a non-empty `text` or a non-empty `blocks` array of objects with a `type`.
 *   Success is `200 ok`; refusals are Slack's plain-text codes: `invalid_payload` (not JSON, or
 *   not sent as application/json), `no_text`, `invalid_blocks`, `msg_too_long`; an unknown path
 *   is `404 no_service`. (Slack's "Sending messages using incoming webhooks", Handling errors.)
 * - PagerDuty Events API v2 (POST /v2/enqueue): JSON with a 32-character `routing_key`,
 *   `event_action` trigger|acknowledge|resolve, for trigger `payload.summary` (at most 1024
 *   characters), `payload.severity` critical|error|warning|info and `payload.source`; for
 *   acknowledge/resolve a `dedup_key`. Success is `202 {"status":"success","message":"Event
 *   processed","dedup_key":...}`; a refusal is `400 {"status":"invalid event","message":"Event
 *   object is invalid","errors":[...]}`, the shape and texts of PagerDuty's Events API v2
 *   reference (developer.pagerduty.com, "Send an Alert Event", response 400).
 * - A generic webhook (POST /hook/<anything>): any JSON object sent as application/json, `200`.
 *
 * It can be told to answer 5xx or to hang (never answer) for the next requests, and records every
 * request with the answer it gave. Binds 127.0.0.1 on a random port.
 *
 * Run as a program (`node --import tsx test/support/receiver.ts`) it prints one JSON line
 * `{"url": ...}` and then one JSON line per request, for tests whose other work blocks the event
 * loop (the VM lab runs ssh synchronously). POST /__control {"mode":"ok"|"fail"|"hang","status"?}
 * switches the mode of a running program.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type Vendor = "slack" | "pagerduty" | "webhook" | "unknown";

export interface ReceivedRequest {
    vendor: Vendor;
    method: string;
    path: string;
    contentType: string;
    body: string;
    /** The parsed body, when it is JSON. */
    json?: unknown;
    /** The status answered (0: the receiver hung and never answered). */
    status: number;
    /** The body answered. */
    answer: string;
    accepted: boolean;
}

export type ReceiverMode = { mode: "ok" } | { mode: "fail"; status: number } | { mode: "hang" };

export interface Receiver {
    /** http://127.0.0.1:<port> */
    url: string;
    /** A Slack-shaped incoming webhook URL on this receiver. */
    slackUrl: string;
    /** The PagerDuty Events API v2 endpoint on this receiver. */
    pagerDutyUrl: string;
    /** A generic webhook URL on this receiver. */
    webhookUrl: string;
    requests: ReceivedRequest[];
    /** Answer normally, fail with a status, or hang; `times` requests, then back to ok. @default every request */
    setMode(mode: ReceiverMode, times?: number): void;
    /** Resolve once `n` requests arrived (rejects after `timeoutMs`). */
    waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
    close(): Promise<void>;
}

const SLACK_TEXT_LIMIT = 40000;
const PD_SEVERITIES = ["critical", "error", "warning", "info"];
const PD_ACTIONS = ["trigger", "acknowledge", "resolve"];

/** Slack's verdict on an incoming-webhook request: [status, body]. Pure. */
export function slackVerdict(contentType: string, body: string): [number, string] {
    if (!/^application\/json(\s*;.*)?$/i.test(contentType.trim())) return [400, "invalid_payload"];
    let msg: unknown;
    try {
        msg = JSON.parse(body);
    } catch {
        return [400, "invalid_payload"];
    }
    if (!msg || typeof msg !== "object" || Array.isArray(msg)) return [400, "invalid_payload"];
    const m = msg as { text?: unknown; blocks?: unknown };
    if (m.blocks !== undefined) {
        const ok =
            Array.isArray(m.blocks) &&
            m.blocks.length > 0 &&
            m.blocks.every(
                (b) => b && typeof b === "object" && typeof (b as { type?: unknown }).type === "string",
            );
        if (!ok) return [400, "invalid_blocks"];
    }
    const hasText = typeof m.text === "string" && m.text.trim().length > 0;
    if (!hasText && m.blocks === undefined) return [400, "no_text"];
    if (typeof m.text === "string" && m.text.length > SLACK_TEXT_LIMIT) return [400, "msg_too_long"];
    return [200, "ok"];
}

/** PagerDuty Events API v2's verdict on an enqueue request: [status, JSON body]. Pure. */
export function pagerDutyVerdict(contentType: string, body: string): [number, string] {
    const refuse = (errors: string[]): [number, string] => [
        400,
        JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors }),
    ];
    if (!/^application\/json(\s*;.*)?$/i.test(contentType.trim()))
        return refuse(["Content-Type must be application/json"]);
    let ev: any;
    try {
        ev = JSON.parse(body);
    } catch {
        return refuse(["Event object is not valid JSON"]);
    }
    if (!ev || typeof ev !== "object" || Array.isArray(ev))
        return refuse(["Event object is not a JSON object"]);
    const errors: string[] = [];
    const blank = (v: unknown) => typeof v !== "string" || v.trim().length === 0;
    if (blank(ev.routing_key)) errors.push("'routing_key' is missing or blank");
    else if (ev.routing_key.length !== 32)
        errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
    if (!PD_ACTIONS.includes(ev.event_action))
        errors.push(
            "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
        );
    if (ev.event_action === "trigger") {
        const p = ev.payload;
        if (!p || typeof p !== "object") errors.push("'payload' is missing or blank");
        else {
            if (blank(p.summary)) errors.push("'payload.summary' is missing or blank");
            else if (p.summary.length > 1024)
                errors.push("'payload.summary' is too long (maximum is 1024 characters)");
            if (blank(p.source)) errors.push("'payload.source' is missing or blank");
            if (!PD_SEVERITIES.includes(p.severity))
                errors.push(
                    "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
                );
        }
    } else if (PD_ACTIONS.includes(ev.event_action) && blank(ev.dedup_key))
        errors.push("'dedup_key' is missing or blank");
    if (errors.length > 0) return refuse(errors);
    return [
        202,
        JSON.stringify({
            status: "success",
            message: "Event processed",
            dedup_key: ev.dedup_key ?? `srv-${Math.random().toString(16).slice(2, 18)}`,
        }),
    ];
}

/** A generic webhook's verdict: any JSON object sent as application/json. Pure. */
export function webhookVerdict(contentType: string, body: string): [number, string] {
    if (!/^application\/json(\s*;.*)?$/i.test(contentType.trim())) return [415, "expected application/json"];
    try {
        const v = JSON.parse(body);
        if (v && typeof v === "object" && !Array.isArray(v)) return [200, "ok"];
    } catch {
        // falls through
    }
    return [400, "expected a JSON object"];
}

function vendorOf(method: string, path: string): Vendor {
    if (method !== "POST") return "unknown";
    if (/^\/services\/[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9]+$/.test(path)) return "slack";
    if (path === "/v2/enqueue") return "pagerduty";
    if (path.startsWith("/hook/")) return "webhook";
    return "unknown";
}

export async function startReceiver(
    opts: { onRequest?: (r: ReceivedRequest) => void } = {},
): Promise<Receiver> {
    const requests: ReceivedRequest[] = [];
    let mode: ReceiverMode = { mode: "ok" };
    let remaining = Infinity;
    const waiters: (() => void)[] = [];
    const hung = new Set<http.ServerResponse>();

    const record = (r: ReceivedRequest) => {
        requests.push(r);
        opts.onRequest?.(r);
        for (const w of waiters.splice(0)) w();
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const path = (req.url ?? "/").split("?")[0];
            const method = req.method ?? "GET";
            const contentType = String(req.headers["content-type"] ?? "");
            if (path === "/__control" && method === "POST") {
                const c = JSON.parse(body) as ReceiverMode & { times?: number };
                mode = c;
                remaining = c.times ?? Infinity;
                res.writeHead(200).end("ok");
                return;
            }
            const vendor = vendorOf(method, path);
            let json: unknown;
            try {
                json = JSON.parse(body);
            } catch {
                json = undefined;
            }
            const base = { vendor, method, path, contentType, body, ...(json !== undefined ? { json } : {}) };
            const current = remaining > 0 ? mode : ({ mode: "ok" } as ReceiverMode);
            if (current.mode !== "ok") {
                remaining -= 1;
                if (current.mode === "hang") {
                    hung.add(res);
                    record({ ...base, status: 0, answer: "", accepted: false });
                    return;
                }
                res.writeHead(current.status, { "Content-Type": "text/plain" }).end("service unavailable");
                record({ ...base, status: current.status, answer: "service unavailable", accepted: false });
                return;
            }
            const [status, answer] =
                vendor === "slack"
                    ? slackVerdict(contentType, body)
                    : vendor === "pagerduty"
                      ? pagerDutyVerdict(contentType, body)
                      : vendor === "webhook"
                        ? webhookVerdict(contentType, body)
                        : [404, "no_service"];
            res.writeHead(status, {
                "Content-Type": vendor === "pagerduty" ? "application/json" : "text/plain",
            }).end(answer);
            record({ ...base, status, answer, accepted: status >= 200 && status < 300 });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    return {
        url,
        slackUrl: `${url}/services/T0LOOPBACK/B0LOOPBACK/loopbacksecret0123456789`,
        pagerDutyUrl: `${url}/v2/enqueue`,
        webhookUrl: `${url}/hook/ops`,
        requests,
        setMode(m, times) {
            mode = m;
            remaining = times ?? Infinity;
        },
        waitFor(n, timeoutMs = 10000) {
            return new Promise((resolve, reject) => {
                const timer = setTimeout(
                    () =>
                        reject(
                            new Error(`receiver: ${requests.length} of ${n} requests after ${timeoutMs} ms`),
                        ),
                    timeoutMs,
                );
                const check = () => {
                    if (requests.length >= n) {
                        clearTimeout(timer);
                        resolve(requests);
                    } else waiters.push(check);
                };
                check();
            });
        },
        async close() {
            for (const r of hung) r.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

if (require.main === module) {
    startReceiver({ onRequest: (r) => process.stdout.write(`${JSON.stringify(r)}\n`) }).then((r) => {
        process.stdout.write(
            `${JSON.stringify({ url: r.url, slackUrl: r.slackUrl, pagerDutyUrl: r.pagerDutyUrl })}\n`,
        );
        process.on("SIGTERM", () => r.close().then(() => process.exit(0)));
    });
}
