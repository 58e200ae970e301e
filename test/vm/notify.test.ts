/**
 * The VM watchdog's notifications for real, on the loopback lab (lab.ts): the destinations file
 * components/vm/commands.ts builds, deploy.sh's notify() posting to the loopback receiver that
 * answers like Slack and PagerDuty (test/support/receiver.ts, in its own process because the lab
 * runs ssh synchronously). Scenarios: an outage (3 failed /health checks, a restart, the message
 * saying so with the previous version), the recovery, and the receiver hanging (the watchdog
 * still restarts and finishes within its bound).
 * Run under the shared lock: flock /tmp/sd-vm-lab.lock node --import tsx --test test/vm/notify.test.ts
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { Lab, labAvailable, NGINX_LISTEN } from "./lab";
import {
    deployCommand,
    envFileContent,
    hostPaths,
    prepareCommand,
    watchdogCheckCommand,
    watchdogNotifyFile,
    type DeployOptions,
    type HostPaths,
} from "../../components/vm/commands";
import type { ReceivedRequest } from "../support/receiver";

const skip = labAvailable();
const ROOT = path.resolve(__dirname, "..", "..");
const PD_KEY = "0123456789abcdef0123456789abcdef";
let lab: Lab;
let paths: HostPaths;
let opts: DeployOptions;
let receiverProc: ChildProcess;
let urls: { url: string; slackUrl: string; pagerDutyUrl: string };
const received: ReceivedRequest[] = [];
let active = "";
/** How the message names a version: the image's tag, or the digest's first 12 hex (the lab's refs have no tag). */
const versions: string[] = [];
const versionOf = (ref: string) => /:([\w][\w.-]*)@/.exec(ref)?.[1] ?? ref.split("@")[1].slice(0, 19);

async function startReceiverProcess(): Promise<void> {
    receiverProc = spawn(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "test", "support", "receiver.ts")],
        {
            stdio: ["ignore", "pipe", "inherit"],
        },
    );
    let buf = "";
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the receiver did not start within 60 s")), 60000);
        receiverProc.stdout!.on("data", (c: Buffer) => {
            buf += c.toString("utf8");
            let i = buf.indexOf("\n");
            while (i >= 0) {
                const line = JSON.parse(buf.slice(0, i));
                buf = buf.slice(i + 1);
                if (line.slackUrl) {
                    urls = line;
                    clearTimeout(timer);
                    resolve();
                } else received.push(line);
                i = buf.indexOf("\n");
            }
        });
    });
}

const control = (mode: object) =>
    fetch(`${urls.url}/__control`, { method: "POST", body: JSON.stringify(mode) }).then((r) => r.text());
const check = () =>
    lab.ssh(watchdogCheckCommand(paths, { ...opts, listen: NGINX_LISTEN, healthPath: "/health" }));
/** Requests that arrived after `from`, once the receiver's lines are read (the lab blocks the loop). */
const since = async (from: number, n: number) => {
    const until = Date.now() + 10000;
    while (received.length - from < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return received.slice(from);
};

before(async () => {
    if (skip) return;
    await startReceiverProcess();
    lab = new Lab();
    lab.start();
    const v1 = lab.image("app", "v1", "ok", "v1");
    const v2 = lab.image("app", "v2", "ok", "v2");
    paths = hostPaths("app", lab.hostRoot);
    assert.equal(lab.ssh(prepareCommand(paths)).code, 0);
    lab.installScript(paths);
    lab.copy(
        envFileContent({ DATABASE_URL: "postgresql://app:lab@db.internal:5432/app" }),
        paths.envFile,
        "0600",
    );
    opts = {
        service: "app",
        image: "",
        imagePlatforms: ["linux/amd64", "linux/arm64"],
        arch: "amd64",
        runtime: "podman",
        port: 8080,
        subnet: "10.213.1.0/24",
        readinessPath: "/readiness",
        livenessPath: "/liveness",
        healthPath: "/health",
        memory: "256m",
        cpus: "0.5",
        restart: "unless-stopped",
        drainSeconds: 1,
        healthTimeoutSeconds: 15,
        keep: 2,
        lockTimeoutSeconds: 2,
        envPlain: [],
        envSecret: ["DATABASE_URL"],
        listen: NGINX_LISTEN,
        serverName: "_",
        stateDir: lab.stateDir,
        nginxConf: lab.nginxConf,
        nginxDir: lab.nginxDir,
        bakeSeconds: 0,
    } as DeployOptions;
    versions.push(versionOf(v1), versionOf(v2));
    for (const image of [v1, v2]) {
        const r = lab.ssh(deployCommand(paths, { ...opts, image }));
        assert.equal(r.code, 0, r.stderr);
    }
    active = /color=(blue|green)/.exec(fs.readFileSync(path.join(lab.stateDir, "app", "state"), "utf8"))![1];
    lab.copy(
        watchdogNotifyFile(
            [
                { type: "slack", events: ["alerts", "rollbacks", "recoveries"], secret: urls.slackUrl },
                {
                    type: "pagerduty",
                    events: ["alerts", "rollbacks", "recoveries"],
                    secret: PD_KEY,
                    url: urls.pagerDutyUrl,
                },
                { type: "webhook", events: ["rollbacks"], secret: `${urls.url}/hook/ops` },
            ],
            { environment: "staging", runbookUrl: "https://example.com/runbook" },
        ),
        paths.webhookFile,
        "0600",
    );
});

after(() => {
    lab?.stop();
    receiverProc?.kill("SIGTERM");
});

test("outage: after 3 failed /health checks the watchdog restarts the container and Slack, PagerDuty and the webhook accept a message saying so", {
    skip,
}, async () => {
    assert.match(check().stdout, /WATCHDOG service=app healthy/);
    assert.equal(lab.ssh(`podman exec app-${active} rm /www/health`).code, 0);
    const from = received.length;
    assert.match(check().stdout, /failures=1/);
    assert.match(check().stdout, /failures=2/);
    const third = check();
    assert.match(third.stdout, new RegExp(`WATCHDOG service=app restarted=${active}`));
    const got = await since(from, 3);
    assert.deepEqual(
        got.map((r) => [r.vendor, r.status]),
        [
            ["slack", 200],
            ["pagerduty", 202],
            ["webhook", 200],
        ],
    );
    const text = (got[0].json as { text: string }).text;
    assert.match(
        text,
        new RegExp(
            `^RESTARTED app-${active} \\(staging, vm\\) on \\S+ after 3 failed /health checks at \\d\\d:\\d\\d UTC; running ${versions[1]}, previous version ${versions[0]}, kept for rollback: npm run rollback\\. runbook: https://example\\.com/runbook#vm-watchdog$`,
        ),
    );
    const pd = got[1].json as any;
    assert.equal(pd.event_action, "trigger");
    assert.equal(pd.payload.severity, "critical");
    assert.equal((got[2].json as any).event, "rollbacks");
    assert.ok(
        !third.stderr.includes(PD_KEY) && !third.stdout.includes(PD_KEY),
        "the key is not in the output",
    );
});

test("recovery: when /health answers again, Slack hears it and PagerDuty resolves the incident", {
    skip,
}, async () => {
    assert.equal(lab.ssh(`podman exec app-${active} sh -c 'echo ok > /www/health'`).code, 0);
    const from = received.length;
    assert.match(check().stdout, /WATCHDOG service=app healthy/);
    const got = await since(from, 2);
    assert.deepEqual(
        got.map((r) => [r.vendor, r.status]),
        [
            ["slack", 200],
            ["pagerduty", 202],
        ],
    );
    assert.match(
        (got[0].json as { text: string }).text,
        /^RECOVERED app \(staging, vm\) on \S+: \/health answers again/,
    );
    assert.equal((got[1].json as any).event_action, "resolve");
    // Healthy again and nothing restarted since: no further message.
    assert.match(check().stdout, /healthy/);
    assert.equal((await since(from, 3)).length, 2);
});

test("receiver hanging: the watchdog still restarts the container and returns within its bound", {
    skip,
}, async () => {
    await control({ mode: "hang" });
    try {
        assert.equal(lab.ssh(`podman exec app-${active} rm /www/health`).code, 0);
        check();
        check();
        const started = Date.now();
        const third = check();
        const took = Date.now() - started;
        assert.match(third.stdout, new RegExp(`WATCHDOG service=app restarted=${active}`));
        assert.match(
            third.stderr,
            /could not notify slack \(rollbacks\) after 2 attempts; the watchdog carries on/,
        );
        // 3 destinations x (2 attempts x 8 s bound + 2 s pause): never more than 54 s, far from piling up.
        assert.ok(took < 60000, `took ${took} ms`);
        assert.match(
            fs.readFileSync(path.join(lab.stateDir, "app", "audit.log"), "utf8"),
            /watchdog restart color=/,
        );
    } finally {
        await control({ mode: "ok" });
    }
});
