/**
 * Promotion on Cloud Run (scripts/promotion.ts): traffic.previous follows the revision the target
 * serves now, the serving revisions it reads, and the lines it rewrites in a Cloud Run stack file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    needsServingRevision,
    parseServingRevisions,
    PromotionInputError,
    rewriteStackFile,
    targetServices,
    withPrevious,
    type TargetService,
} from "../scripts/promotion";
import { D_NEW, D_OLD, fixture, GAR, ROOT, SERVING, STALE } from "./promote-helpers";

test("Cloud Run: traffic.previous moves to the revision the target serves now, only for gcp services that change", () => {
    const gcpTarget: TargetService = {
        index: 0,
        name: "api",
        target: "gcp",
        ref: `${GAR}@${D_OLD}`,
        builds: false,
        previous: STALE,
    };
    const change = { service: "api", index: 0, from: `${GAR}@${D_OLD}`, to: `${GAR}@${D_NEW}` };
    const served = new Map([["api", SERVING]]);
    assert.deepEqual(needsServingRevision([change], [gcpTarget]), ["api"]);
    assert.deepEqual(needsServingRevision([change], [{ ...gcpTarget, target: "aws" }]), []);
    const table: [string, TargetService, Map<string, string>, unknown][] = [
        ["stale previous moves to what is served", gcpTarget, served, { from: STALE, to: SERVING }],
        [
            "no previous yet: set",
            { ...gcpTarget, previous: undefined },
            served,
            { from: undefined, to: SERVING },
        ],
        ["already the served one: untouched", { ...gcpTarget, previous: SERVING }, served, undefined],
        ["not Cloud Run: untouched", { ...gcpTarget, target: "aws" }, served, undefined],
        ["no served revision known: untouched", gcpTarget, new Map(), undefined],
    ];
    for (const [name, t, sv, want] of table)
        assert.deepEqual(withPrevious([change], [t], sv)[0].previous, want, name);
});

test("parseServingRevisions names each missing or malformed servingRevision", () => {
    assert.deepEqual(
        parseServingRevisions(fixture("gcp-production-outputs.json"), "f", ["api"]),
        new Map([["api", SERVING]]),
    );
    const table: [unknown, RegExp][] = [
        [
            { services: { api: { target: "gcp" } } },
            /^f:\n {2}missing output services\.api\.servingRevision \(has the stack been deployed\?\)$/,
        ],
        [{ services: {} }, /missing output services\.api\.servingRevision/],
        [
            { services: { api: { servingRevision: "web-4f2a9c1e7b3d-cd4119" } } },
            /output services\.api\.servingRevision is "web-4f2a9c1e7b3d-cd4119": not a revision of api/,
        ],
        [
            { services: { api: { servingRevision: "api-latest" } } },
            /servingRevision is "api-latest": not a revision of api/,
        ],
        [{ services: "[secret]" }, /output "services" is a secret/],
        [[], /expected the JSON object of `pulumi stack output --json`/],
    ];
    for (const [doc, want] of table)
        assert.throws(
            () => parseServingRevisions(doc, "f", ["api"]),
            (e: Error) => e instanceof PromotionInputError && want.test(e.message),
        );
});

test("rewriteStackFile on a Cloud Run stack: the image.ref and traffic.previous lines, or previous alone as the baseline", () => {
    // Production after its first release: traffic.previous names what served before.
    const text = fs
        .readFileSync(path.join(ROOT, "Pulumi.gcp-production.yaml"), "utf8")
        .replace(/\n( {8}traffic:\n {10}percent: 100\n)/, `\n$1          previous: ${STALE}\n`);
    assert.match(text, new RegExp(`previous: ${STALE}`));
    const [svc] = targetServices(text, "Pulumi.gcp-production.yaml");
    assert.deepEqual(svc, {
        index: 0,
        name: "api",
        target: "gcp",
        ref: `${GAR}@${D_OLD}`,
        builds: false,
        previous: STALE,
    });
    const [change] = withPrevious(
        [{ service: "api", index: 0, from: svc.ref!, to: `${GAR}@${D_NEW}` }],
        [svc],
        new Map([["api", SERVING]]),
    );
    const changed = (next: string) => {
        const a = text.split("\n"),
            b = next.split("\n");
        assert.equal(a.length, b.length);
        return a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y);
    };
    assert.deepEqual(changed(rewriteStackFile(text, [change])), [
        [`          previous: ${STALE}`, `          previous: ${SERVING}`],
        [`        ref: ${GAR}@${D_OLD}`, `        ref: ${GAR}@${D_NEW}`],
    ]);
    assert.deepEqual(changed(rewriteStackFile(text, [change], { digests: false })), [
        [`          previous: ${STALE}`, `          previous: ${SERVING}`],
    ]);
    assert.throws(
        () => rewriteStackFile(text, [{ ...change, previous: { from: SERVING, to: STALE } }]),
        /cloudRun\.traffic\.previous is not api-4f2a9c1e7b3d-cd4119/,
    );
    // A stack without a previous gets one, under its existing traffic block.
    const staging = fs.readFileSync(path.join(ROOT, "Pulumi.gcp-staging.yaml"), "utf8");
    const [st] = targetServices(staging, "Pulumi.gcp-staging.yaml");
    const next = rewriteStackFile(
        staging,
        [{ service: "api", index: 0, from: st.ref!, to: st.ref!, previous: { to: SERVING } }],
        { digests: false },
    );
    assert.match(next, /\n {8}traffic:\n {10}percent: 100\n {10}previous: api-4f2a9c1e7b3d-cd4119\n/);
});
