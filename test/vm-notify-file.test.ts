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

/** One helper line of the host script's watchdog part (host/watchdog.sh), run by /bin/sh on its own. */
function shHelper(name: string, call: string): string {
    const script = require("node:fs").readFileSync(
        require("node:path").join(__dirname, "..", "components", "vm", "host", "watchdog.sh"),
        "utf8",
    );
    const line = script.split("\n").find((l: string) => l.startsWith(`${name}() {`));
    assert.ok(line, `host/watchdog.sh defines ${name}()`);
    const r = require("node:child_process").spawnSync("sh", ["-c", `set -eu\n${line}\n${call}`], {
        encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
}

test("the watchdog names a version by the image's tag, else by the digest's first 12 hex", () => {
    const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const table: [string, string][] = [
        [`ghcr.io/acme/api:v1.4.2@${d}`, "v1.4.2"],
        [`127.0.0.1:5000/app@${d}`, "sha256:0123456789ab"],
        [`registry.example.com:5000/team/api:2024-06-01@${d}`, "2024-06-01"],
        ["", "none"],
    ];
    for (const [ref, version] of table)
        assert.equal(shHelper("version_of", `version_of '${ref}'`).trim(), version, ref);
});

test("message text is made JSON-safe: quotes and backslashes escaped, control characters dropped", () => {
    const out = shHelper("json_str", `json_str "$(printf 'a "b" \\\\ c\\tnext\\nline')"`);
    assert.equal(JSON.parse(`"${out}"`), 'a "b" \\ cnextline');
});
