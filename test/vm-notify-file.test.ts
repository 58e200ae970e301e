/** The watchdog's destinations file, as deploy.sh's notify() reads it: one tab-separated line each. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PAGERDUTY_EVENTS_URL, watchdogNotifyFile } from "../components/vm/commands";

test("the destinations file: context lines, then type, events and URL or key per line; PagerDuty with its endpoint", () => {
    assert.equal(
        watchdogNotifyFile(
            [
                {
                    type: "slack",
                    events: ["alerts", "rollbacks", "recoveries"],
                    secret: "https://hooks.slack.com/services/T/B/x",
                },
                { type: "pagerduty", events: ["rollbacks"], secret: "0123456789abcdef0123456789abcdef" },
                { type: "webhook", events: ["alerts"], secret: "https://ops.example.com/hook " },
            ],
            { environment: "staging", runbookUrl: "https://example.com/runbook" },
        ),
        [
            "#environment staging",
            "#runbook https://example.com/runbook",
            "slack\talerts,rollbacks,recoveries\thttps://hooks.slack.com/services/T/B/x",
            `pagerduty\trollbacks\t0123456789abcdef0123456789abcdef\t${PAGERDUTY_EVENTS_URL}`,
            "webhook\talerts\thttps://ops.example.com/hook",
            "",
        ].join("\n"),
    );
});

test("a URL or key holding a line break is refused, naming the destination and not the value", () => {
    assert.throws(
        () =>
            watchdogNotifyFile([{ type: "slack", events: ["alerts"], secret: "https://x/\nrm -rf" }], {
                environment: "staging",
                runbookUrl: "r",
            }),
        (e: Error) =>
            /watchdog destination 0 \(slack\): its URL or key holds a tab or a line break/.test(e.message) &&
            !e.message.includes("rm -rf"),
    );
});
