/** The loopback receiver accepts what Slack and PagerDuty accept and refuses the rest with their errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pagerDutyVerdict, slackVerdict, startReceiver } from "./support/receiver";

const JSON_CT = "application/json";
const KEY = "0123456789abcdef0123456789abcdef";

test("Slack: text or blocks as application/json is ok; anything else gets Slack's error code", () => {
    const cases: [string, string, number, string][] = [
        [JSON_CT, JSON.stringify({ text: "hello" }), 200, "ok"],
        [`${JSON_CT}; charset=utf-8`, JSON.stringify({ blocks: [{ type: "section" }] }), 200, "ok"],
        [JSON_CT, JSON.stringify({ attachments: [] }), 400, "no_text"],
        [JSON_CT, JSON.stringify({ text: "  " }), 400, "no_text"],
        [JSON_CT, JSON.stringify({ blocks: [] }), 400, "invalid_blocks"],
        [JSON_CT, JSON.stringify({ blocks: [{ text: "no type" }] }), 400, "invalid_blocks"],
        [JSON_CT, "{not json", 400, "invalid_payload"],
        ["text/plain", JSON.stringify({ text: "hello" }), 400, "invalid_payload"],
        // What an SNS https subscription posts first: a SubscriptionConfirmation envelope, no text.
        [
            "text/plain; charset=UTF-8",
            JSON.stringify({ Type: "SubscriptionConfirmation", Message: "You have chosen to subscribe" }),
            400,
            "invalid_payload",
        ],
        [JSON_CT, JSON.stringify({ Type: "Notification", Message: "{}" }), 400, "no_text"],
        [JSON_CT, JSON.stringify({ text: "x".repeat(40001) }), 400, "msg_too_long"],
    ];
    for (const [ct, body, status, answer] of cases)
        assert.deepEqual(slackVerdict(ct, body), [status, answer], `${ct} ${body.slice(0, 60)}`);
});

test("PagerDuty: a complete Events v2 trigger is 202; a missing field gets PagerDuty's invalid-event error", () => {
    const good = {
        routing_key: KEY,
        event_action: "trigger",
        payload: { summary: "api 5xx", severity: "critical", source: "api" },
    };
    assert.equal(pagerDutyVerdict(JSON_CT, JSON.stringify(good))[0], 202);
    assert.equal(
        pagerDutyVerdict(
            JSON_CT,
            JSON.stringify({ routing_key: KEY, event_action: "resolve", dedup_key: "d" }),
        )[0],
        202,
    );
    const refused = (ev: unknown, ct = JSON_CT) => {
        const [status, body] = pagerDutyVerdict(ct, JSON.stringify(ev));
        assert.equal(status, 400);
        const b = JSON.parse(body);
        assert.equal(b.status, "invalid event");
        assert.equal(b.message, "Event object is invalid");
        return b.errors as string[];
    };
    assert.deepEqual(refused({ ...good, routing_key: "short" }), [
        "Length of 'routing_key' is incorrect (should be 32 characters)",
    ]);
    assert.deepEqual(refused({ ...good, routing_key: undefined }), ["'routing_key' is missing or blank"]);
    assert.match(refused({ ...good, event_action: "fire" })[0], /'event_action' is invalid/);
    assert.deepEqual(refused({ ...good, payload: { ...good.payload, summary: "" } }), [
        "'payload.summary' is missing or blank",
    ]);
    assert.match(
        refused({ ...good, payload: { ...good.payload, severity: "high" } })[0],
        /'payload.severity'/,
    );
    assert.deepEqual(refused({ ...good, payload: { ...good.payload, source: undefined } }), [
        "'payload.source' is missing or blank",
    ]);
    assert.deepEqual(refused({ routing_key: KEY, event_action: "resolve" }), [
        "'dedup_key' is missing or blank",
    ]);
    assert.deepEqual(refused(good, "text/plain"), ["Content-Type must be application/json"]);
    // A Slack message sent to PagerDuty is refused.
    assert.ok(refused({ text: "hello" }).length >= 2);
});

test("the receiver serves on 127.0.0.1, records every answer, and fails or hangs when told", async () => {
    const r = await startReceiver();
    try {
        assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        const post = (url: string, body: unknown, signal?: AbortSignal) =>
            fetch(url, {
                method: "POST",
                headers: { "Content-Type": JSON_CT },
                body: JSON.stringify(body),
                signal,
            });
        assert.equal((await post(r.slackUrl, { text: "hi" })).status, 200);
        assert.equal((await post(`${r.url}/services/nope`, { text: "hi" })).status, 404);
        r.setMode({ mode: "fail", status: 503 }, 1);
        assert.equal((await post(r.slackUrl, { text: "hi" })).status, 503);
        assert.equal((await post(r.slackUrl, { text: "hi" })).status, 200);
        r.setMode({ mode: "hang" }, 1);
        await assert.rejects(post(r.pagerDutyUrl, {}, AbortSignal.timeout(300)), /abort|timeout/i);
        await r.waitFor(5);
        assert.deepEqual(
            r.requests.map((x) => [x.vendor, x.status, x.accepted]),
            [
                ["slack", 200, true],
                ["unknown", 404, false],
                ["slack", 503, false],
                ["slack", 200, true],
                ["pagerduty", 0, false],
            ],
        );
    } finally {
        await r.close();
    }
});
