/**
 * Blue-green and canary on Cloud Run across successive deploys: each revision is named by its
 * digest and configuration and tagged, so the previous one stays addressable for rollback, and
 * promotion and rollback are config changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { planCli } from "./mocks";
import { gcpStagingWith, lastOutputsOf, planJson } from "./gcp-plans";
import {
    configHash,
    revisionName,
    revisionTag,
    revisionsAfter,
    trafficPlan,
    unknownTrafficRevisions,
} from "../components/gcp/cloud-run-service";
import { knownRevisions } from "../components/gcp/target";

const ROOT = path.resolve(__dirname, "..");
const B = `sha256:${"7c".repeat(32)}`;

const run = (doc: any) => doc.resources.find((r: any) => r.type === "gcp:cloudrunv2/service:Service").inputs;
const plan = planJson;
const variant = gcpStagingWith;

test("traffic plans: first deploy, candidate at 0%, canary, promotion, rollback, kept revisions", () => {
    const a = "api-4f2a9c1e7b3d-0a1b2c",
        b = "api-7c7c7c7c7c7c-0a1b2c";
    const e = (revision: string, percent: number) => ({ revision, percent, tag: `rev-${revision.slice(4)}` });
    assert.deepEqual(trafficPlan("api", a, { percent: 100, keep: [] }), [e(a, 100)]);
    assert.deepEqual(trafficPlan("api", b, { percent: 0, previous: a, keep: [] }), [e(b, 0), e(a, 100)]);
    assert.deepEqual(trafficPlan("api", b, { percent: 10, previous: a, keep: [] }), [e(b, 10), e(a, 90)]);
    assert.deepEqual(trafficPlan("api", b, { percent: 100, previous: a, keep: [] }), [e(b, 100), e(a, 0)]);
    assert.deepEqual(
        trafficPlan("api", a, { percent: 100, previous: b, keep: [] }),
        [e(a, 100), e(b, 0)],
        "rollback",
    );
    assert.deepEqual(
        trafficPlan("api", a, { percent: 100, previous: a, keep: [] }),
        [e(a, 100)],
        "re-deploying the serving revision collapses",
    );
    assert.deepEqual(
        trafficPlan("api", b, { percent: 100, previous: a, keep: ["api-010101010101-ffffff"] }).map((x) => [
            x.tag,
            x.percent,
        ]),
        [
            ["rev-7c7c7c7c7c7c-0a1b2c", 100],
            ["rev-4f2a9c1e7b3d-0a1b2c", 0],
            ["rev-010101010101-ffffff", 0],
        ],
    );
    assert.throws(() => trafficPlan("api", b, { percent: 50, keep: [] }), /needs traffic\.previous/);
    assert.equal(revisionName("api", "sha256:4f2a9c1e7b3d5a6f", "0a1b2cdd"), "api-4f2a9c1e7b3d-0a1b2c");
    assert.equal(revisionTag("api", "api-4f2a9c1e7b3d-0a1b2c"), "rev-4f2a9c1e7b3d-0a1b2c");
    assert.equal(configHash("k", { a: 1 }), configHash("k", { a: 1 }));
    assert.notEqual(configHash("k", { a: 1 }), configHash("k", { a: 2 }));
    assert.notEqual(configHash("k1", { a: 1 }), configHash("k2", { a: 1 }));
});

test("a second deploy keeps the previous revision addressable, through candidate and promotion", async () => {
    const first = await plan(["--stack", "gcp-staging"]);
    const A = first.outputs.services.api.servingRevision as string;
    assert.match(A, /^api-4f2a9c1e7b3d-[0-9a-f]{6}$/);
    const [candidate, promoted] = await Promise.all([
        plan([
            "--stack",
            "fixture",
            "--config",
            variant(B, { percent: 0, previous: A }),
            ...lastOutputsOf(first),
        ]),
        plan([
            "--stack",
            "fixture",
            "--config",
            variant(B, { percent: 100, previous: A }),
            ...lastOutputsOf(first),
        ]),
    ]);
    const Bname = run(promoted).template.revision;
    assert.match(Bname, /^api-7c7c7c7c7c7c-[0-9a-f]{6}$/);
    const t = (revision: string, percent: number) => ({
        type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
        revision,
        percent,
        tag: `rev-${revision.slice(4)}`,
    });
    assert.deepEqual(run(first).traffics, [t(A, 100)]);
    assert.deepEqual(run(candidate).traffics, [t(Bname, 0), t(A, 100)]);
    // B gains traffic untested: the Service stages it at 0% and the release step moves traffic
    // after its smoke test (test/gcp-staged-flow.test.ts); the outputs read the moved traffic.
    assert.deepEqual(run(promoted).traffics, [t(Bname, 0), t(A, 100)]);
    for (const doc of [candidate, promoted]) {
        assert.equal(
            doc.outputs.services.api.tagUrls[`rev-${A.slice(4)}`],
            `https://rev-${A.slice(4)}---api-abc123xyz-de.a.run.app`,
        );
        assert.equal(
            doc.outputs.services.api.tagUrls[`rev-${Bname.slice(4)}`],
            `https://rev-${Bname.slice(4)}---api-abc123xyz-de.a.run.app`,
        );
    }
    assert.equal(candidate.outputs.services.api.servingRevision, A);
    assert.equal(promoted.outputs.services.api.servingRevision, Bname);
});

test("a configuration change with the same image is a new revision (Cloud Run refuses a new config under an old name)", async () => {
    const first = await plan(["--stack", "gcp-staging"]);
    const digest = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.gcp-staging.yaml"), "utf8")).config[
        "service-deploy:services"
    ][0].image.ref.split("@")[1];
    const changed = await plan([
        "--stack",
        "fixture",
        "--config",
        variant(
            digest,
            { percent: 100, previous: first.outputs.services.api.servingRevision },
            { FEATURE_FLAGS: { value: "new-checkout" } },
        ),
        ...lastOutputsOf(first),
    ]);
    const before = run(first).template.revision,
        after = run(changed).template.revision;
    assert.equal(before.slice(0, 17), after.slice(0, 17), "same image");
    assert.notEqual(before, after, "another configuration");
});

test("traffic to a revision the stack never created fails the plan, naming the key; a first deploy serves only its own", async () => {
    const first = await plan(["--stack", "gcp-staging"]);
    const A = first.outputs.services.api.servingRevision as string;
    assert.deepEqual(first.outputs.services.api.revisions, [A]);
    const [stale, unknownKeep, noHistory] = await Promise.all([
        planCli([
            "--stack",
            "fixture",
            "--config",
            variant(B, { percent: 100, previous: "api-9b1c3e5a7d9f-3c4d5e" }),
            ...lastOutputsOf(first),
        ]),
        planCli([
            "--stack",
            "fixture",
            "--config",
            variant(B, { percent: 100, previous: A, keep: ["api-010101010101-ffffff"] }),
            ...lastOutputsOf(first),
        ]),
        planCli(["--stack", "fixture", "--config", variant(B, { percent: 0, previous: A })]),
    ]);
    assert.equal(stale.code, 1);
    assert.match(
        stale.stderr,
        new RegExp(
            `SD-020: service-deploy:services\\[0\\]\\.cloudRun\\.traffic\\.previous: revision api-9b1c3e5a7d9f-3c4d5e does not exist in this stack \\(its last update left ${A}\\).*\\(see docs/failures\\.md#sd-020\\)`,
        ),
    );
    assert.equal(unknownKeep.code, 1);
    assert.match(
        unknownKeep.stderr,
        /cloudRun\.traffic\.keep\[0\]: revision api-010101010101-ffffff does not exist/,
    );
    assert.equal(noHistory.code, 1);
    assert.match(noHistory.stderr, /a first deploy sends traffic only to the revision it creates/);
});

test("known revisions: the last revisions output, or for older outputs the serving and tagged ones; the list remembers the newest 20", () => {
    assert.deepEqual(knownRevisions(undefined, "api"), []);
    assert.deepEqual(knownRevisions({}, "api"), []);
    assert.deepEqual(knownRevisions({ api: { revisions: ["api-a", "api-b"] } }, "api"), ["api-a", "api-b"]);
    assert.deepEqual(
        knownRevisions(
            {
                api: {
                    servingRevision: "api-4f2a9c1e7b3d-0a1b2c",
                    tagUrls: {
                        "rev-7c7c7c7c7c7c-0a1b2c": "https://x",
                        "rev-4f2a9c1e7b3d-0a1b2c": "https://y",
                    },
                },
            },
            "api",
        ),
        ["api-4f2a9c1e7b3d-0a1b2c", "api-7c7c7c7c7c7c-0a1b2c"],
    );
    const e = (revision: string, percent: number) => ({ revision, percent, tag: `rev-${revision.slice(4)}` });
    assert.deepEqual(revisionsAfter(["api-a", "api-b"], [e("api-c", 100), e("api-a", 0)]), [
        "api-c",
        "api-a",
        "api-b",
    ]);
    const many = Array.from({ length: 30 }, (_, i) => `api-${i}`);
    assert.equal(revisionsAfter(many, [e("api-new", 100)]).length, 20);
    assert.deepEqual(
        unknownTrafficRevisions({ previous: "api-a", keep: ["api-b", "api-c"] }, ["api-a", "api-c"]),
        [{ path: "keep[0]", revision: "api-b" }],
    );
});
