/**
 * The release runner on a fresh stack, against loopback Google: IAM bindings the program has just
 * made (the `allUsers` invoker, or the tester's invoker and the deployer's token-creator) take time
 * to propagate, "typically 2 minutes, potentially 7 minutes or longer"
 * (https://cloud.google.com/iam/docs/access-change-propagation), so a refused generateIdToken or
 * readiness check is tried again for RELEASE_SPEC.iamWaitSeconds (shortened here), then fails
 * with the message. And the ADC's quota project goes along as `x-goog-user-project`.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { IAM_RETRY_MAX_MS, IAM_WAIT_MS, iamRetryMs } from "../components/gcp/release-budget";
import { ApiError } from "../scripts/gcp-release/api";
import { idTokenRefused, readinessRefused } from "../scripts/gcp-release/release";
import { stagedSpec, stagedWorld, TESTER } from "./fixtures/gcp-release/staged";
import { runReleaseRunner } from "./fixtures/gcp-release/run-runner";

const spec = stagedSpec;

let tmp = "";

const world = stagedWorld;

describe("release runner: IAM propagation and the quota project", () => {
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gcp-release-iam-"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("a public service whose allUsers binding answers 403 at first is tried again, then released", async () => {
        const w = await world("good", 2);
        try {
            const r = await runReleaseRunner(tmp, spec({ iamWaitSeconds: 5 }), w.google);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stdout, /may not have propagated yet/);
            assert.equal(w.google.of("PATCH").length, 1);
        } finally {
            await w.close();
        }
    });

    it("a public service refused past the IAM wait fails saying the binding may not have propagated, and never patches", async () => {
        const w = await world("good", Number.POSITIVE_INFINITY);
        try {
            const r = await runReleaseRunner(tmp, spec({ iamWaitSeconds: 2 }), w.google);
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.ok(r.ms < 15_000, `gave up after ${r.ms} ms`);
            assert.ok(w.app.seen.length > 3, `readiness tried ${w.app.seen.length} times`);
            assert.match(
                r.stderr,
                /allUsers.*may not have propagated yet.*organization policy.*`pulumi up` again/s,
            );
            assert.doesNotMatch(r.stderr, /RELEASE_SPEC\.tester/);
            assert.equal(w.google.of("PATCH").length, 0);
        } finally {
            await w.close();
        }
    });

    it("a private service whose token-creator binding answers 403 at first is tried again, then released", async () => {
        const w = await world("private");
        try {
            w.google.refuseIdTokens = 2;
            const r = await runReleaseRunner(tmp, spec({ tester: TESTER, iamWaitSeconds: 5 }), w.google);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            assert.equal(w.google.requests.filter((q) => q.path.endsWith(":generateIdToken")).length, 3);
            assert.equal(w.google.of("PATCH").length, 1);
        } finally {
            await w.close();
        }
    });

    it("a generateIdToken refused past the IAM wait fails with IAM's message, and never patches", async () => {
        const w = await world("private");
        try {
            w.google.refuseIdTokens = Number.POSITIVE_INFINITY;
            const r = await runReleaseRunner(tmp, spec({ tester: TESTER, iamWaitSeconds: 2 }), w.google);
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.ok(r.ms < 15_000, `gave up after ${r.ms} ms`);
            assert.ok(w.google.requests.filter((q) => q.path.endsWith(":generateIdToken")).length > 2);
            assert.match(
                r.stderr,
                /generateIdToken for .*HTTP 403 PERMISSION_DENIED: Permission 'iam\.serviceAccounts\.getOpenIdToken' denied/,
            );
            assert.equal(w.google.of("PATCH").length, 0);
        } finally {
            await w.close();
        }
    });

    it("the ADC's quota_project_id goes to every Google API call as x-goog-user-project", async () => {
        const w = await world("private");
        try {
            const r = await runReleaseRunner(tmp, spec({ tester: TESTER }), w.google, {}, undefined, {
                quota_project_id: "acme-billing",
            });
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            const api = w.google.requests.filter((q) => q.path !== "/v1/token");
            assert.ok(api.some((q) => q.path.endsWith(":generateIdToken")));
            for (const q of api) assert.equal(q.userProject, "acme-billing", `${q.method} ${q.path}`);
        } finally {
            await w.close();
        }
    });
});

describe("which refusals the IAM wait tries again", () => {
    const report = (status: number, path = "/readiness") => ({
        ok: false,
        results: [{ path, expected: "2xx", status, ok: false, durationMs: 1 }],
    });
    it("generateIdToken: 403 and 404 (IAM's answer before a binding propagates), nothing else", () => {
        for (const [status, want] of [
            [403, true],
            [404, true],
            [401, false],
            [400, false],
            [409, false],
            [503, false],
        ] as const)
            assert.equal(
                idTokenRefused(new ApiError(status, "", "generateIdToken", "")),
                want,
                String(status),
            );
        assert.equal(idTokenRefused(new Error("no answer")), false);
    });
    it("smoke: 401 and 403 on the readiness check, not on another check nor another status", () => {
        assert.equal(readinessRefused(report(403), "/readiness"), true);
        assert.equal(readinessRefused(report(401), "/readiness"), true);
        assert.equal(readinessRefused(report(500), "/readiness"), false);
        assert.equal(readinessRefused(report(403, "/health"), "/readiness"), false);
    });
    it("the pause between tries is a tenth of the wait, 250 ms to IAM_RETRY_MAX_MS", () => {
        assert.equal(iamRetryMs(1000), 250);
        assert.equal(iamRetryMs(5000), 500);
        assert.equal(iamRetryMs(IAM_WAIT_MS), IAM_RETRY_MAX_MS);
    });
});
