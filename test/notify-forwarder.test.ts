/**
 * The alarm forwarder's real handler (lambda/notify/index.ts, and the very bundle the Lambda
 * runs), fed AWS's sample CloudWatch alarm notifications as SNS delivers them, posting to the
 * loopback receiver that answers like Slack and PagerDuty.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Module from "node:module";
import { startReceiver, type ReceivedRequest, type Receiver } from "./support/receiver";
import { makeHandler, type DestinationRef, type ForwarderDeps, type SnsEvent } from "../lambda/notify/index";
import { bundleHandler } from "../components/aws/bundle";

const SAMPLES = path.join(__dirname, "fixtures", "aws-samples");
const sample = (file: string): SnsEvent =>
    JSON.parse(fs.readFileSync(path.join(SAMPLES, `cloudwatch-alarm-sns-payload-${file}.json`), "utf8"));

/** AWS's sample with fields of the inner alarm message changed (the envelope stays AWS's). */
function notification(file: "single-metric" | "multiple-metrics", change: Record<string, unknown>): SnsEvent {
    const ev = sample(file);
    const msg = JSON.parse(ev.Records[0].Sns.Message);
    ev.Records[0].Sns.Message = JSON.stringify({ ...msg, ...change });
    return ev;
}

const PD_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const CONTEXT = {
    prefix: "service-deploy-staging",
    environment: "staging",
    target: "aws",
    services: ["api"],
    runbookUrl: "https://example.com/runbook",
};

let receiver: Receiver;
let secrets: Record<string, string>;
const destinations: DestinationRef[] = [
    { name: "oncall", type: "slack", events: ["alerts", "rollbacks", "recoveries"], secretArn: "arn:slack" },
    { name: "pager", type: "pagerduty", events: ["alerts", "rollbacks", "recoveries"], secretArn: "arn:pd" },
    { name: "ops-hook", type: "webhook", events: ["rollbacks"], secretArn: "arn:hook" },
];

before(async () => {
    receiver = await startReceiver();
    secrets = { "arn:slack": receiver.slackUrl, "arn:pd": PD_KEY, "arn:hook": receiver.webhookUrl };
});
after(() => receiver.close());

function handler(over: Partial<ForwarderDeps> = {}) {
    const logs: string[] = [];
    const h = makeHandler({
        destinations,
        context: CONTEXT,
        getSecret: async (arn) => secrets[arn],
        pagerDutyUrl: receiver.pagerDutyUrl,
        log: (l) => logs.push(l),
        attemptTimeoutMs: 1000,
        ...over,
    });
    return { h, logs };
}

const lambdaContext = (ms: number) => {
    const until = Date.now() + ms;
    return { getRemainingTimeInMillis: () => until - Date.now() };
};

/** Destinations are posted to in parallel: compare arrivals in a fixed vendor order. */
const VENDORS = ["slack", "pagerduty", "webhook", "unknown"];
const ordered = (rs: ReceivedRequest[]) =>
    [...rs].sort((a, b) => VENDORS.indexOf(a.vendor) - VENDORS.indexOf(b.vendor));

function assertNoSecretIn(logs: string[]) {
    const text = logs.join("\n");
    for (const s of [PD_KEY, "loopbacksecret0123456789", receiver.slackUrl, receiver.webhookUrl])
        assert.ok(!text.includes(s), `a log line carries a secret: ${s}`);
}

test("ALARM: Slack and PagerDuty accept a message naming service, environment, target, the crossing with its value, the action and the runbook", async () => {
    const from = receiver.requests.length;
    const { h, logs } = handler();
    const ev = notification("single-metric", {
        AlarmName: "service-deploy-staging-api-5xx-rate",
        AlarmDescription: "Alert: target 5xx above 5% of requests for 5 min",
    });
    const out = await h(ev, lambdaContext(30000));
    const got = ordered(receiver.requests.slice(from));
    assert.deepEqual(
        got.map((r) => [r.vendor, r.status]),
        [
            ["slack", 200],
            ["pagerduty", 202],
        ],
    );
    assert.deepEqual(
        out.map((d) => [d.destination, d.delivered, d.skipped ?? false]),
        [
            ["oncall", true, false],
            ["pager", true, false],
            ["ops-hook", false, true],
        ],
    );
    const text = (got[0].json as { text: string }).text;
    assert.match(text, /^ALARM api \(staging, aws\): Alert: target 5xx above 5% of requests for 5 min\. /);
    assert.match(text, /NetworkOut \(average\) crossed > 0: current value 1234/);
    const details = JSON.stringify(got[0].json);
    assert.match(details, /the system: nothing automatic/);
    assert.match(details, /runbook: https:\/\/example\.com\/runbook#error-rate/);
    const pd = got[1].json as any;
    assert.equal(pd.event_action, "trigger");
    assert.equal(pd.payload.severity, "error");
    assert.equal(pd.dedup_key, "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE");
    assertNoSecretIn(logs);
});

test("OK: a recovery resolves the PagerDuty incident the alarm opened and says recovered on Slack", async () => {
    const from = receiver.requests.length;
    const { h } = handler();
    await h(
        notification("single-metric", {
            AlarmName: "service-deploy-staging-api-p95-latency",
            NewStateValue: "OK",
            OldStateValue: "ALARM",
            NewStateReason:
                "Threshold Crossed: 1 out of the last 1 datapoints [0.21 (06/03/15 17:53:27)] was not greater than the threshold (0.5).",
        }),
        lambdaContext(30000),
    );
    const got = ordered(receiver.requests.slice(from));
    assert.deepEqual(
        got.map((r) => [r.vendor, r.status]),
        [
            ["slack", 200],
            ["pagerduty", 202],
        ],
    );
    assert.match((got[0].json as { text: string }).text, /^RECOVERED api \(staging, aws\)/);
    assert.match(JSON.stringify(got[0].json), /#latency/);
    assert.deepEqual(got[1].json, {
        routing_key: PD_KEY,
        event_action: "resolve",
        dedup_key: "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",
    });
});

test("INSUFFICIENT_DATA: an alert that says the metric has no data and what to check", async () => {
    const from = receiver.requests.length;
    const { h } = handler();
    await h(
        notification("single-metric", {
            AlarmName: "service-deploy-staging-db-cpu",
            NewStateValue: "INSUFFICIENT_DATA",
            OldStateValue: "OK",
            NewStateReason: "Insufficient Data: 1 datapoint was unknown.",
        }),
        lambdaContext(30000),
    );
    const got = ordered(receiver.requests.slice(from));
    assert.deepEqual(
        got.map((r) => r.status),
        [200, 202],
    );
    const text = (got[0].json as { text: string }).text;
    assert.match(text, /^NO DATA database \(staging, aws\)/);
    assert.match(text, /has no data to evaluate/);
    assert.equal((got[1].json as any).payload.severity, "warning");
});

test("a metric-math alarm names its expression and the metrics it reads", async () => {
    const from = receiver.requests.length;
    const { h } = handler();
    await h(
        notification("multiple-metrics", { AlarmName: "service-deploy-staging-api-rollback-5xx" }),
        lambdaContext(30000),
    );
    const got = ordered(receiver.requests.slice(from));
    // A rollback alarm: the webhook destination that hears only rollbacks gets it too.
    assert.deepEqual(
        got.map((r) => [r.vendor, r.status]),
        [
            ["slack", 200],
            ["pagerduty", 202],
            ["webhook", 200],
        ],
    );
    const text = (got[0].json as { text: string }).text;
    assert.match(text, /^ROLLBACK api \(staging, aws\)/);
    assert.match(text, /Expression1 = m1\*1 where m1=NetworkOut \(Average\) crossed > 0: current value 1234/);
    assert.match(JSON.stringify(got[0].json), /ECS rolls the blue-green deployment back/);
    assert.equal((got[1].json as any).payload.severity, "critical");
    const hook = got[2].json as any;
    assert.equal(hook.version, 1);
    assert.equal(hook.event, "rollbacks");
    assert.equal(hook.runbook, "https://example.com/runbook#rollback-alarms");
});

test("the receiver answering 503 twice: the forwarder retries and delivers, logging no secret", async () => {
    const from = receiver.requests.length;
    receiver.setMode({ mode: "fail", status: 503 }, 2);
    const { h, logs } = handler({ destinations: [destinations[0]] });
    const out = await h(
        notification("single-metric", { AlarmName: "service-deploy-staging-api-cpu" }),
        lambdaContext(30000),
    );
    assert.deepEqual(
        receiver.requests.slice(from).map((r) => r.status),
        [503, 503, 200],
    );
    assert.deepEqual(out, [
        { destination: "oncall", type: "slack", delivered: true, status: 200, attempts: 3 },
    ]);
    assert.equal(logs.filter((l) => l.includes('"not delivered"')).length, 2);
    assertNoSecretIn(logs);
});

test("the receiver hanging: every attempt is cut off and the invocation fails inside the Lambda timeout", async () => {
    receiver.setMode({ mode: "hang" });
    try {
        const { h, logs } = handler({
            destinations: [destinations[0], destinations[1]],
            attemptTimeoutMs: 800,
        });
        const started = Date.now();
        await assert.rejects(
            h(
                notification("single-metric", { AlarmName: "service-deploy-staging-api-memory" }),
                lambdaContext(4000),
            ),
            /not delivered to: oncall \(slack: no answer after \d attempts?\), pager \(pagerduty: no answer after \d attempts?\)/,
        );
        const took = Date.now() - started;
        assert.ok(took < 4000, `finished within the 4 s the Lambda had left (took ${took} ms)`);
        assertNoSecretIn(logs);
    } finally {
        receiver.setMode({ mode: "ok" });
    }
});

test("a vendor's refusal is final and logged with its answer: no retry of a payload it will refuse again", async () => {
    const from = receiver.requests.length;
    secrets["arn:pd-short"] = "too-short-key";
    const { h, logs } = handler({
        destinations: [{ name: "pager", type: "pagerduty", events: ["alerts"], secretArn: "arn:pd-short" }],
    });
    await assert.rejects(
        h(
            notification("single-metric", { AlarmName: "service-deploy-staging-api-cpu" }),
            lambdaContext(30000),
        ),
        /pager \(pagerduty: 400 after 1 attempt\)/,
    );
    assert.equal(receiver.requests.length - from, 1);
    assert.match(logs.join("\n"), /Length of 'routing_key' is incorrect/);
    assert.ok(!logs.join("\n").includes("too-short-key"));
});

test("the esbuild bundle the Lambda runs behaves the same: it posts an accepted Slack message", async () => {
    const code = bundleHandler({ entry: "lambda/notify/index.ts" });
    const m = new Module("notify-bundle.js");
    (m as unknown as { _compile(c: string, f: string): void })._compile(code, "notify-bundle.js");
    const bundled = m.exports as typeof import("../lambda/notify/index");
    assert.equal(typeof bundled.handler, "function");
    const from = receiver.requests.length;
    const h = bundled.makeHandler({
        destinations: [destinations[0]],
        context: CONTEXT,
        getSecret: async (arn) => secrets[arn],
        log: () => {},
    });
    await h(
        notification("single-metric", { AlarmName: "service-deploy-staging-api-5xx-rate" }),
        lambdaContext(30000),
    );
    assert.deepEqual(
        receiver.requests.slice(from).map((r) => [r.vendor, r.status]),
        [["slack", 200]],
    );
});
