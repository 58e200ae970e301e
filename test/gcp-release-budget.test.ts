/**
 * The release step's timeout against the runner's real limits, from the same inputs: the program's
 * `customTimeouts` on the committed stack's release step must outlast the runner's worst case for
 * that step's own RELEASE_SPEC, and the worst case must be the runner's real behaviour (its API
 * client's attempts and backoff against a loopback server that always answers 503, its smoke
 * check giving up at the check timeout).
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import {
    backoffMs,
    callWorstMs,
    IAM_RETRY_MAX_MS,
    IAM_WAIT_MS,
    MAX_ATTEMPTS,
    OPERATION_TIMEOUT_MS,
    REQUEST_TIMEOUT_MS,
    releaseTimeoutMinutes,
    runnerWorstCaseSeconds,
    STARTUP_MS,
} from "../components/gcp/release-budget";
import { runSmoke } from "../components/smoke";
import { GoogleApi } from "../scripts/gcp-release/api";
import { parseSpec } from "../scripts/gcp-release/spec";
import { startApp } from "./fixtures/gcp-release/fake-google";
import { graphOf } from "./mocks";

const checks = (n: number, timeoutSeconds: number) => ({
    readinessPath: "/readiness",
    healthPath: "/health",
    checks: Array.from({ length: n }, (_, i) => ({ path: `/c${i}` })),
    timeoutSeconds,
});

test("the release step's timeout outlasts the runner's worst case, for every check count and timeout", () => {
    for (const [n, t] of [
        [0, 1],
        [0, 5],
        [2, 30],
        [10, 60],
        [50, 60],
    ]) {
        const worst = runnerWorstCaseSeconds(checks(n, t));
        const minutes = releaseTimeoutMinutes(checks(n, t));
        assert.ok(minutes * 60 > worst, `${n} checks at ${t} s: ${minutes} min <= ${worst} s`);
        assert.ok(
            minutes * 60 <= worst + 120,
            `${n} checks at ${t} s: ${minutes} min is far above ${worst} s`,
        );
    }
    // The IAM wait (a refused token or readiness check tried again while bindings propagate) is counted.
    assert.ok(
        runnerWorstCaseSeconds(checks(0, 1)) * 1000 >=
            STARTUP_MS + IAM_WAIT_MS + 2 * IAM_RETRY_MAX_MS + 2 * OPERATION_TIMEOUT_MS + 5 * callWorstMs(),
        "the worst case leaves out the IAM wait",
    );
    // Each smoke check adds its timeout; duplicates of readiness/health are not run twice.
    assert.equal(runnerWorstCaseSeconds(checks(1, 60)) - runnerWorstCaseSeconds(checks(0, 60)), 60);
    assert.equal(
        runnerWorstCaseSeconds({ ...checks(0, 60), checks: [{ path: "/health" }] }),
        runnerWorstCaseSeconds(checks(0, 60)),
    );
});

test("committed gcp-staging: the release step's customTimeouts outlast the runner's worst case for its own spec", async () => {
    const g = await graphOf("gcp-staging");
    const cmd = g.one("command:local:Command");
    const spec = parseSpec(g.inputs(cmd).environment.RELEASE_SPEC);
    assert.ok(spec.ok);
    const worst = runnerWorstCaseSeconds(spec.value.checks);
    for (const op of ["create", "update"] as const) {
        const m = /^(\d+)m$/.exec(cmd.options.customTimeouts?.[op] ?? "");
        assert.ok(m, `customTimeouts.${op}: ${cmd.options.customTimeouts?.[op]}`);
        assert.ok(Number(m[1]) * 60 > worst, `customTimeouts.${op} ${m[1]}m <= runner worst case ${worst} s`);
    }
});

test("the runner's API client tries a call MAX_ATTEMPTS times with the backoff the worst case counts", async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
        hits++;
        res.writeHead(503, { "content-type": "application/json" }).end(
            JSON.stringify({ error: { code: 503, message: "unavailable", status: "UNAVAILABLE" } }),
        );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const slept: number[] = [];
    const api = new GoogleApi({
        runApi: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        auth: { requestHeaders: async () => ({ authorization: "Bearer t" }) },
        log: () => {},
        sleep: async (ms) => {
            slept.push(ms);
        },
    });
    try {
        await assert.rejects(api.getService("v2/projects/p/locations/r/services/s"), /HTTP 503 UNAVAILABLE/);
    } finally {
        server.close();
    }
    assert.equal(hits, MAX_ATTEMPTS);
    assert.deepEqual(
        slept,
        Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => backoffMs(i + 1)),
    );
    assert.equal(callWorstMs(), MAX_ATTEMPTS * REQUEST_TIMEOUT_MS + slept.reduce((a, b) => a + b, 0));
});

test("a smoke check gives up at its timeout, as the worst case counts it", async () => {
    const app = await startApp("slow");
    try {
        const r = await runSmoke({
            baseUrl: app.url,
            readinessPath: "/readiness",
            healthPath: "/health",
            checks: [],
            timeoutSeconds: 1,
        });
        assert.equal(r.ok, false);
        for (const x of r.results) {
            assert.match(x.error ?? "", /timed out after 1 s/);
            assert.ok(x.durationMs < 1500, `${x.path} took ${x.durationMs} ms`);
        }
    } finally {
        await app.close();
    }
});
