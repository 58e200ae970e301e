/**
 * The ECS lifecycle hook's handler (lambda/smoke-hook/index.ts), run locally, as bundled for
 * Lambda, against a loopback app that answers good, bad and slow.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import Module from "node:module";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { bundleHandler } from "../components/aws/bundle";
import { hookMinutes, hookRolePolicies } from "../components/aws/smoke-hook";
import {
    CALLBACK_DELAY_SECONDS,
    hookDecision,
    settingsFrom,
    type HookEvent,
    type HookResult,
} from "../lambda/smoke-hook";

type Mode = "good" | "bad" | "slow";
let mode: Mode = "good";
let server: http.Server;
let base = "";

/** The handler as Lambda runs it: the esbuild bundle the program ships, loaded as a module. */
function bundledHandler(): (e: HookEvent) => Promise<HookResult> {
    const m = new Module("smoke-hook.js") as Module & { _compile(code: string, file: string): void };
    m._compile(bundleHandler({ entry: "lambda/smoke-hook/index.ts" }), "smoke-hook.js");
    return (m.exports as { handler: (e: HookEvent) => Promise<HookResult> }).handler;
}

const event = (id: string): HookEvent => ({
    executionId: id,
    lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
    resourceArn: "arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/c/api/x",
});

describe("smoke hook handler", () => {
    let handler: (e: HookEvent) => Promise<HookResult>;
    before(async () => {
        server = http.createServer((req, res) => {
            if (mode === "slow") return void setTimeout(() => res.writeHead(200).end(), 2500);
            if (mode === "bad" && req.url === "/health") return void res.writeHead(503).end("db down");
            if (req.url === "/v1/orders") return void res.writeHead(401).end();
            res.writeHead(200).end("ok");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        Object.assign(process.env, {
            SMOKE_BASE_URL: base,
            SMOKE_READINESS_PATH: "/readiness",
            SMOKE_HEALTH_PATH: "/health",
            SMOKE_CHECKS: JSON.stringify([{ path: "/v1/orders", status: 401 }]),
            SMOKE_TIMEOUT_SECONDS: "1",
            SMOKE_MAX_WAIT_SECONDS: "60",
        });
        handler = bundledHandler();
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("answers SUCCEEDED when readiness, health and the configured checks answer as expected", async () => {
        mode = "good";
        assert.deepEqual(await handler(event("good")), { hookStatus: "SUCCEEDED" });
    });

    it("answers FAILED when health answers 503, so ECS rolls back before production traffic moves", async () => {
        mode = "bad";
        assert.deepEqual(await handler(event("bad")), { hookStatus: "FAILED" });
    });

    it("answers FAILED when a configured check gets another status than the one expected", async () => {
        mode = "good";
        process.env.SMOKE_CHECKS = JSON.stringify([{ path: "/v1/orders", status: 200 }]);
        try {
            assert.deepEqual(await handler(event("wrong-status")), { hookStatus: "FAILED" });
        } finally {
            process.env.SMOKE_CHECKS = JSON.stringify([{ path: "/v1/orders", status: 401 }]);
        }
    });

    it("answers IN_PROGRESS while a slow release does not answer in time, then FAILED when the wait is spent", async () => {
        mode = "slow";
        assert.deepEqual(await handler(event("slow")), {
            hookStatus: "IN_PROGRESS",
            callBackDelay: CALLBACK_DELAY_SECONDS,
        });
        process.env.SMOKE_MAX_WAIT_SECONDS = "0";
        try {
            assert.deepEqual(await handler(event("slow")), { hookStatus: "FAILED" });
        } finally {
            process.env.SMOKE_MAX_WAIT_SECONDS = "60";
        }
    });

    it("decides from the report: a wrong answer is final, no answer waits within the budget", () => {
        const report = (results: { ok: boolean; status?: number }[]) => ({
            ok: results.every((r) => r.ok),
            results: results.map((r) => ({ ...r, path: "/", expected: "2xx", durationMs: 1 })),
        });
        assert.equal(hookDecision(report([{ ok: true, status: 200 }]), 0, 300).hookStatus, "SUCCEEDED");
        assert.equal(hookDecision(report([{ ok: false, status: 500 }]), 0, 300).hookStatus, "FAILED");
        assert.equal(hookDecision(report([{ ok: false }]), 0, 300).hookStatus, "IN_PROGRESS");
        assert.equal(hookDecision(report([{ ok: false }]), 280, 300).hookStatus, "FAILED");
    });

    it("refuses to run without the test listener's URL, naming the variable", () => {
        assert.throws(() => settingsFrom({}), /SMOKE_BASE_URL is not set/);
        assert.throws(
            () => settingsFrom({ SMOKE_BASE_URL: "x", SMOKE_CHECKS: "[" }),
            /SMOKE_CHECKS is not a JSON list/,
        );
    });

    it("ECS may only invoke this one function through the hook role", () => {
        const p = hookRolePolicies("arn:aws:lambda:r:1:function:f");
        assert.deepEqual(JSON.parse(p.trust).Statement[0].Principal, { Service: "ecs.amazonaws.com" });
        assert.deepEqual(JSON.parse(p.invoke).Statement, [
            {
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: ["arn:aws:lambda:r:1:function:f", "arn:aws:lambda:r:1:function:f:*"],
            },
        ]);
        assert.equal(hookMinutes(300, 5), 7);
    });
});
