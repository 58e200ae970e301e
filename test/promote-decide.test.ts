/**
 * Promotion's decision (scripts/promotion.ts): which digest moves to production and every reason
 * it refuses, the staging outputs it reads, and the one line it rewrites in an AWS stack file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    decide,
    parseStagingOutputs,
    PromotionInputError,
    rewriteStackFile,
    targetServices,
    type StagingService,
} from "../scripts/promotion";
import { D_NEW, D_OLD, ECR, fixture, healthy, PROD_ECR, ROOT, target } from "./promote-helpers";

test("decide: the happy path, and every refusal with its reason", () => {
    assert.deepEqual(decide({ from: "staging", to: "production", staging: [healthy()], target }), {
        kind: "promote",
        changes: [
            { service: "api", index: 0, from: `${ECR}@${D_OLD}`, to: `${ECR}@${D_NEW}`, copyFrom: undefined },
        ],
        unchanged: [],
    });
    const table: [string, StagingService[], typeof target, RegExp][] = [
        [
            "staging unhealthy",
            [
                healthy({
                    deployed: { digest: "", healthy: false, evidence: "the deployment was rolled back" },
                }),
            ],
            target,
            /^staging is not healthy: service api on aws: the deployment was rolled back$/,
        ],
        [
            "staging runs another digest",
            [
                healthy({
                    deployed: { digest: `sha256:${"5".repeat(64)}`, healthy: true, evidence: "steady" },
                }),
            ],
            target,
            /^staging is not running the digest it claims: service api claims sha256:9c3e.*, aws reports sha256:5555/,
        ],
        ["staging lacks the service", [healthy({ name: "web" })], target, /^staging has no service api/],
        [
            "production builds",
            [healthy()],
            [{ index: 0, name: "api", target: "aws", ref: undefined, builds: true }],
            /^production: service api builds its image; .*production-builds-nothing/,
        ],
        [
            "production's ref is a tag",
            [healthy()],
            [{ index: 0, name: "api", target: "aws", ref: `${ECR}:v1`, builds: false }],
            /^production: service api's image.ref "123456789012.*:v1" is not pinned by digest/,
        ],
    ];
    for (const [name, staging, t, reason] of table) {
        const d = decide({ from: "staging", to: "production", staging, target: t });
        assert.equal(d.kind, "refuse", name);
        assert.equal(d.kind === "refuse" && d.reasons.length, 1, name);
        assert.match(d.kind === "refuse" ? d.reasons[0] : "", reason, name);
    }
    const same = decide({
        from: "staging",
        to: "production",
        staging: [
            healthy({
                image: `${ECR}@${D_OLD}`,
                digest: D_OLD,
                deployed: { digest: D_OLD, healthy: true, evidence: "" },
            }),
        ],
        target,
    });
    assert.deepEqual(same, { kind: "promote", changes: [], unchanged: ["api"] });
});

test("decide: another repository keeps production's and says the digest must be copied", () => {
    const gar = "asia-east1-docker.pkg.dev/acme-services-staging/services/api";
    const prod = "asia-east1-docker.pkg.dev/acme-services-prod/services/api";
    const d = decide({
        from: "gcp-staging",
        to: "gcp-production",
        staging: [healthy({ target: "gcp", image: `${gar}@${D_NEW}` })],
        target: [{ index: 0, name: "api", target: "gcp", ref: `${prod}@${D_OLD}`, builds: false }],
    });
    assert.deepEqual(d, {
        kind: "promote",
        unchanged: [],
        changes: [
            {
                service: "api",
                index: 0,
                from: `${prod}@${D_OLD}`,
                to: `${prod}@${D_NEW}`,
                copyFrom: `${gar}@${D_NEW}`,
            },
        ],
    });
});

test("parseStagingOutputs names each missing or malformed output", () => {
    assert.equal(parseStagingOutputs(fixture("staging-healthy.json"), "f")[0].digest, D_NEW);
    const table: [unknown, RegExp][] = [
        [fixture("staging-missing-deployed.json"), /^f:\n {2}missing output services\.api\.deployed$/],
        [
            fixture("staging-unpinned.json"),
            /output services\.api\.image is ".*api:latest": not pinned by digest[\s\S]*output services\.api\.digest is "latest": not a sha256: digest/,
        ],
        [{ environment: "staging" }, /^f: missing output "services"/],
        [{ services: "[secret]" }, /output "services" is a secret/],
        [[], /expected the JSON object of `pulumi stack output --json`/],
        [{ services: {} }, /output "services" is empty/],
    ];
    for (const [doc, want] of table)
        assert.throws(
            () => parseStagingOutputs(doc, "f"),
            (e: Error) => e instanceof PromotionInputError && want.test(e.message),
        );
});

test("rewriteStackFile changes only the image.ref line and keeps the comments", () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8");
    const [svc] = targetServices(text, "Pulumi.production.yaml");
    assert.deepEqual(svc, {
        index: 0,
        name: "api",
        target: "aws",
        ref: `${PROD_ECR}@${D_OLD}`,
        builds: false,
    });
    const next = rewriteStackFile(text, [
        { service: "api", index: 0, from: svc.ref!, to: `${PROD_ECR}@${D_NEW}` },
    ]);
    const a = text.split("\n"),
        b = next.split("\n");
    assert.equal(a.length, b.length);
    const changed = a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y);
    assert.deepEqual(changed, [[`        ref: ${PROD_ECR}@${D_OLD}`, `        ref: ${PROD_ECR}@${D_NEW}`]]);
    assert.throws(
        () => rewriteStackFile(text, [{ service: "api", index: 0, from: `${PROD_ECR}@${D_NEW}`, to: "x" }]),
        /is not/,
    );
});
