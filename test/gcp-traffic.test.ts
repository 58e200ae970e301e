/**
 * Blue-green and canary on Cloud Run across successive deploys: each revision is named by its
 * digest and tagged, so the previous one stays addressable for rollback, and promotion and
 * rollback are config changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { revisionName, revisionTag, trafficPlan } from "../components/gcp/cloud-run-service";

const ROOT = path.resolve(__dirname, "..");
const A = "sha256:4f2a9c1e7b3d5a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a";
const B = "sha256:" + "7c".repeat(32);

function plan(args: string[]): Promise<any> {
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, ["--require", "./scripts/register.js", "scripts/plan.ts", ...args, "--json"], { cwd: ROOT });
        let out = "", err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
    });
}
const trafficOf = (doc: any) => doc.resources.find((r: any) => r.type === "gcp:cloudrunv2/service:Service").inputs.traffics;

test("traffic plans: first deploy, candidate at 0%, canary, promotion, rollback, kept revisions", () => {
    const a = { revision: "api-4f2a9c1e7b3d", tag: "rev-4f2a9c1e7b3d" };
    const b = { revision: "api-7c7c7c7c7c7c", tag: "rev-7c7c7c7c7c7c" };
    assert.deepEqual(trafficPlan("api", A, { percent: 100, keep: [] }), [{ ...a, percent: 100 }]);
    assert.deepEqual(trafficPlan("api", B, { percent: 0, previous: A, keep: [] }), [{ ...b, percent: 0 }, { ...a, percent: 100 }]);
    assert.deepEqual(trafficPlan("api", B, { percent: 10, previous: A, keep: [] }), [{ ...b, percent: 10 }, { ...a, percent: 90 }]);
    assert.deepEqual(trafficPlan("api", B, { percent: 100, previous: A, keep: [] }), [{ ...b, percent: 100 }, { ...a, percent: 0 }]);
    // Rollback: serve A again, B stays addressable.
    assert.deepEqual(trafficPlan("api", A, { percent: 100, previous: B, keep: [] }), [{ ...a, percent: 100 }, { ...b, percent: 0 }]);
    // Re-deploying the digest already serving collapses into one entry.
    assert.deepEqual(trafficPlan("api", A, { percent: 100, previous: A, keep: [] }), [{ ...a, percent: 100 }]);
    assert.deepEqual(trafficPlan("api", B, { percent: 100, previous: A, keep: ["sha256:" + "01".repeat(32)] }).map((e) => [e.tag, e.percent]), [[b.tag, 100], [a.tag, 0], ["rev-010101010101", 0]]);
    assert.throws(() => trafficPlan("api", B, { percent: 50, keep: [] }), /needs traffic\.previous/);
    assert.equal(revisionName("api", A), "api-4f2a9c1e7b3d");
    assert.equal(revisionTag(A), "rev-4f2a9c1e7b3d");
});

test("a second deploy keeps the previous revision addressable, through candidate and promotion", async () => {
    const [first, candidate, promoted] = await Promise.all([
        plan(["--stack", "gcp-staging"]),
        plan(["--stack", "fixture", "--config", "test/fixtures/stacks/gcp-deploy-2-candidate.yaml"]),
        plan(["--stack", "fixture", "--config", "test/fixtures/stacks/gcp-deploy-2-promoted.yaml"]),
    ]);
    const rev = (d: string, percent: number) => ({ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: revisionName("api", d), percent, tag: revisionTag(d) });
    assert.deepEqual(trafficOf(first), [rev(A, 100)]);
    assert.deepEqual(trafficOf(candidate), [rev(B, 0), rev(A, 100)]);
    assert.deepEqual(trafficOf(promoted), [rev(B, 100), rev(A, 0)]);
    // The old revision's URL is an output of every later deploy: rollback needs no lookup.
    for (const doc of [candidate, promoted]) {
        assert.equal(doc.outputs.services.api.tagUrls[revisionTag(A)], `https://${revisionTag(A)}---api-abc123xyz-de.a.run.app`);
        assert.equal(doc.outputs.services.api.tagUrls[revisionTag(B)], `https://${revisionTag(B)}---api-abc123xyz-de.a.run.app`);
    }
    assert.equal(candidate.outputs.services.api.servingRevision, revisionName("api", A));
    assert.equal(promoted.outputs.services.api.servingRevision, revisionName("api", B));
});
