/** The notification decisions as tables: which event an alarm is, what it links to, who hears it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { emailFilterPolicy } from "../components/aws/alarm-topic";
import { channelSpec } from "../components/gcp/notification-channels";
import { eventOf, roleOf } from "../lambda/notify/messages";
import type { NotifyEvent } from "../components/config";

const CTX = {
    prefix: "service-deploy-staging",
    environment: "staging",
    target: "aws",
    services: ["api", "api-admin"],
    runbookUrl: "r",
};

test("an alarm's name says its service, its runbook section and whether ECS acts on it", () => {
    const table: [string, string, string, boolean][] = [
        ["service-deploy-staging-api-5xx-rate", "api", "error-rate", false],
        ["service-deploy-staging-api-p95-latency", "api", "latency", false],
        ["service-deploy-staging-api-rollback-5xx", "api", "rollback-alarms", true],
        ["service-deploy-staging-api-rollback-p95", "api", "rollback-alarms", true],
        ["service-deploy-staging-api-unhealthy-blue", "api", "unhealthy-targets", false],
        ["service-deploy-staging-api-admin-cpu", "api-admin", "cpu-and-memory", false],
        ["service-deploy-staging-api-memory", "api", "cpu-and-memory", false],
        ["service-deploy-staging-db-connections", "database", "database", false],
    ];
    for (const [name, service, runbook, rollback] of table) {
        const r = roleOf({ name, metric: "x" }, CTX);
        assert.deepEqual([r.service, r.runbook, !!r.rollback], [service, runbook, rollback], name);
    }
    const uptime = roleOf(
        { name: "vm-api-uptime-unhealthy-3f2a1b0", metric: "HealthCheckPercentageHealthy (average)" },
        {
            ...CTX,
            target: "vm",
        },
    );
    assert.deepEqual([uptime.service, uptime.runbook], ["api", "uptime"]);
});

test("OK is a recovery, a rollback alarm in ALARM a rollback, anything else an alert", () => {
    const table: [string, boolean, NotifyEvent][] = [
        ["ALARM", false, "alerts"],
        ["INSUFFICIENT_DATA", false, "alerts"],
        ["OK", false, "recoveries"],
        ["ALARM", true, "rollbacks"],
        ["INSUFFICIENT_DATA", true, "alerts"],
        ["OK", true, "recoveries"],
    ];
    for (const [state, rollback, event] of table)
        assert.equal(eventOf({ state: state as "OK" }, { rollback }), event, `${state} rollback=${rollback}`);
});

test("an e-mail destination's SNS filter passes the alarm states of the events it hears", () => {
    const table: [NotifyEvent[], string | undefined][] = [
        [["alerts", "rollbacks", "recoveries"], undefined],
        [["alerts"], '{"NewStateValue":["ALARM","INSUFFICIENT_DATA"]}'],
        [["rollbacks"], '{"NewStateValue":["ALARM","INSUFFICIENT_DATA"]}'],
        [["recoveries"], '{"NewStateValue":["OK"]}'],
        [["alerts", "recoveries"], '{"NewStateValue":["ALARM","INSUFFICIENT_DATA","OK"]}'],
    ];
    for (const [events, policy] of table) assert.equal(emailFilterPolicy(events), policy, events.join(","));
});

test("each destination type is its GCP channel type, secrets never among the plain labels", () => {
    const out = (o: unknown) => o as never;
    assert.deepEqual(channelSpec(out({ type: "email", name: "m", events: [], address: "a@b.c" })), {
        type: "email",
        labels: { email_address: "a@b.c" },
    });
    assert.deepEqual(channelSpec(out({ type: "slack", name: "s", events: [], channel: "#oncall" })), {
        type: "slack",
        labels: { channel_name: "#oncall" },
    });
    assert.deepEqual(channelSpec(out({ type: "pagerduty", name: "p", events: [] })), { type: "pagerduty" });
    assert.deepEqual(channelSpec(out({ type: "webhook", name: "w", events: [] })), {
        type: "webhook_tokenauth",
    });
});

test("every runbook section a message links to exists in docs/notifications.md", () => {
    const doc = require("node:fs").readFileSync(
        require("node:path").join(__dirname, "..", "docs", "notifications.md"),
        "utf8",
    );
    const names = [
        "service-deploy-staging-api-5xx-rate",
        "service-deploy-staging-api-p95-latency",
        "service-deploy-staging-api-rollback-5xx",
        "service-deploy-staging-api-unhealthy-green",
        "service-deploy-staging-api-cpu",
        "service-deploy-staging-db-storage",
        "something-else",
    ];
    const sections = new Set(names.map((name) => roleOf({ name, metric: "x" }, CTX).runbook));
    sections.add(roleOf({ name: "vm-api-uptime-slow-1", metric: "TimeToFirstByte (p95)" }, CTX).runbook);
    sections.add("vm-watchdog"); // deploy.sh notify()
    for (const s of sections) assert.ok(doc.includes(`<a id="${s}"></a>`), `docs/notifications.md#${s}`);
    assert.equal(sections.size, 9);
});
