/**
 * What a promotion may change in production besides the digest (scripts/promotion.ts): the
 * differences between the two plans once the digest is put back, and the target preview's steps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { changesBeyondDigests, changesBeyondTraffic, pendingChanges } from "../scripts/promotion";
import { D_NEW, D_OLD, ECR, fixture, GAR, SERVING, STALE } from "./promote-helpers";

test("changesBeyondDigests: equal after putting the digest (and its 12-hex prefix) back, or each difference", () => {
    const hex = (d: string) => d.slice(7);
    const change = [{ service: "api", index: 0, from: `${ECR}@${D_OLD}`, to: `${ECR}@${D_NEW}` }];
    const before = [
        {
            urn: "u::td",
            type: "aws:ecs/taskDefinition:TaskDefinition",
            inputs: { containerDefinitions: `[{"image":"${ECR}@${D_OLD}"}]`, cpu: "1024" },
        },
        {
            urn: `u::rev-${hex(D_OLD).slice(0, 12)}`,
            type: "gcp:cloudrunv2/service:Service",
            inputs: { template: { revision: `api-${hex(D_OLD).slice(0, 12)}-abcdef` } },
        },
        { urn: "u::db", type: "aws:rds/instance:Instance", inputs: { instanceClass: "db.t4g.medium" } },
    ];
    const after = [
        { ...before[0], inputs: { containerDefinitions: `[{"image":"${ECR}@${D_NEW}"}]`, cpu: "1024" } },
        {
            urn: `u::rev-${hex(D_NEW).slice(0, 12)}`,
            type: before[1].type,
            inputs: { template: { revision: `api-${hex(D_NEW).slice(0, 12)}-abcdef` } },
        },
        before[2],
    ];
    assert.deepEqual(changesBeyondDigests(before, after, change), []);
    const worse = [
        { ...after[0], inputs: { ...after[0].inputs, cpu: "2048" } },
        after[1],
        { urn: "u::new", type: "aws:s3/bucket:Bucket", inputs: {} },
    ];
    assert.deepEqual(changesBeyondDigests(before, worse, change), [
        "+ aws:s3/bucket:Bucket u::new: a new resource",
        "- aws:rds/instance:Instance u::db: would be deleted",
        "~ aws:ecs/taskDefinition:TaskDefinition u::td: cpu changes beyond the digest",
    ]);
});

test("changesBeyondDigests collapses a traffic list's entries that name one revision; changesBeyondTraffic allows Cloud Run's traffic alone", () => {
    const hex12 = (d: string) => d.slice(7, 19);
    const change = [{ service: "api", index: 0, from: `${GAR}@${D_OLD}`, to: `${GAR}@${D_NEW}` }];
    const run = (traffics: [string, number][], extra: Record<string, unknown> = {}) => ({
        urn: "u::svc",
        type: "gcp:cloudrunv2/service:Service",
        inputs: {
            template: { revision: traffics[0][0] },
            traffics: traffics.map(([revision, percent]) => ({ revision, percent })),
            ...extra,
        },
    });
    const cur = `api-${hex12(D_OLD)}-cd4119`,
        next = `api-${hex12(D_NEW)}-cd4119`;
    // Baseline: previous moved to the serving revision, which collapses into it; after: new at 100, old at 0.
    assert.deepEqual(
        changesBeyondDigests(
            [
                run([
                    [cur, 100],
                    [cur, 0],
                ]),
            ],
            [
                run([
                    [next, 100],
                    [cur, 0],
                ]),
            ],
            change,
        ),
        [],
    );
    assert.deepEqual(
        changesBeyondDigests(
            [run([[cur, 100]])],
            [
                run([
                    [next, 90],
                    [cur, 10],
                ]),
            ],
            change,
        ),
        [],
        "a split between the old and new revision of one config is one revision once the digest is put back",
    );
    assert.deepEqual(
        changesBeyondDigests(
            [run([[cur, 100]])],
            [
                run([
                    [next, 100],
                    [STALE, 0],
                ]),
            ],
            change,
        ),
        ["~ gcp:cloudrunv2/service:Service u::svc: traffics changes beyond the digest"],
    );
    assert.deepEqual(
        changesBeyondTraffic(
            [
                run([
                    [cur, 100],
                    [STALE, 0],
                ]),
            ],
            [
                run([
                    [cur, 100],
                    [SERVING, 0],
                ]),
            ],
        ),
        [],
    );
    assert.deepEqual(
        changesBeyondTraffic(
            [run([[cur, 100]])],
            [run([[cur, 100]], { ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY" })],
        ),
        ["~ gcp:cloudrunv2/service:Service u::svc: ingress changes beyond Cloud Run's traffic"],
    );
    assert.deepEqual(
        changesBeyondTraffic(
            [{ urn: "u::td", type: "aws:ecs/taskDefinition:TaskDefinition", inputs: { traffics: 1 } }],
            [{ urn: "u::td", type: "aws:ecs/taskDefinition:TaskDefinition", inputs: { traffics: 2 } }],
        ),
        ["~ aws:ecs/taskDefinition:TaskDefinition u::td: traffics changes beyond Cloud Run's traffic"],
        "only Cloud Run's traffics are allowed",
    );
});

test("pendingChanges: every step but same/read of the target's preview", () => {
    assert.deepEqual(pendingChanges(fixture("production-preview-clean.json"), "f"), []);
    assert.deepEqual(pendingChanges(fixture("production-preview-pending.json"), "f"), [
        "update urn:pulumi:production::service-deploy::aws:rds/instance:Instance::aws-pg-db",
    ]);
    assert.throws(
        () => pendingChanges({ changeSummary: {} }, "f"),
        /expected `pulumi preview --json` output with a "steps" list/,
    );
});
