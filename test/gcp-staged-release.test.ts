/**
 * The release decisions of a Cloud Run service, as pure functions: what the Service writes, what
 * the release runner smoke-tests and where it moves traffic, and how its result line is read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
    deployerMember,
    formatReleaseResult,
    parseReleaseResult,
    releaseAudience,
    releasePlan,
    releaseSpecJson,
    servingOf,
    tagUrlsOf,
    testerAccountId,
} from "../components/gcp/release-plan";
import { releasedRevisions, serviceAccountId } from "../components/gcp/target";
import rules from "../scripts/conformance/rules/gcp.json";

const A = "api-4f2a9c1e7b3d-0a1b2c",
    B = "api-7c7c7c7c7c7c-0a1b2c",
    K = "api-010101010101-ffffff";
const e = (revision: string, percent: number) => ({ revision, percent, tag: `rev-${revision.slice(4)}` });

test("release plans: a revision gaining traffic untested is staged at 0% and smoked; released ones are written directly", () => {
    const rows: {
        why: string;
        traffic: { percent: number; previous?: string; keep: string[] };
        revision: string;
        released: string[];
        lastServing?: string;
        kind: string;
        service: ReturnType<typeof e>[];
        smoke: string | null;
        runnerTarget: ReturnType<typeof e>[] | null;
        after: string[];
    }[] = [
        {
            why: "first deploy: the Service gives the new revision 100%, the runner smokes it after",
            traffic: { percent: 100, keep: [] },
            revision: A,
            released: [],
            kind: "first",
            service: [e(A, 100)],
            smoke: `rev-${A.slice(4)}`,
            runnerTarget: null,
            after: [A],
        },
        {
            why: "no previous but A served last: staged behind A, smoked, then the config's 100%",
            traffic: { percent: 100, keep: [] },
            revision: B,
            released: [A],
            lastServing: A,
            kind: "staged",
            service: [e(B, 0), e(A, 100)],
            smoke: `rev-${B.slice(4)}`,
            runnerTarget: [e(B, 100)],
            after: [B, A],
        },
        {
            why: "no previous, the same revision served last and passed: nothing to smoke",
            traffic: { percent: 100, keep: [] },
            revision: A,
            released: [A],
            lastServing: A,
            kind: "direct",
            service: [e(A, 100)],
            smoke: null,
            runnerTarget: null,
            after: [A],
        },
        {
            why: "first deploy re-planned after it passed: nothing to smoke",
            traffic: { percent: 100, keep: [] },
            revision: A,
            released: [A],
            kind: "direct",
            service: [e(A, 100)],
            smoke: null,
            runnerTarget: null,
            after: [A],
        },
        {
            why: "new digest at 100%: staged (new at 0%, previous 100%), smoked, then the target",
            traffic: { percent: 100, previous: A, keep: [] },
            revision: B,
            released: [A],
            kind: "staged",
            service: [e(B, 0), e(A, 100)],
            smoke: `rev-${B.slice(4)}`,
            runnerTarget: [e(B, 100), e(A, 0)],
            after: [B, A],
        },
        {
            why: "new digest as a 10% canary with a kept revision: kept stays at 0% in both lists",
            traffic: { percent: 10, previous: A, keep: [K] },
            revision: B,
            released: [A, K],
            kind: "staged",
            service: [e(B, 0), e(A, 100), e(K, 0)],
            smoke: `rev-${B.slice(4)}`,
            runnerTarget: [e(B, 10), e(A, 90), e(K, 0)],
            after: [B, A, K],
        },
        {
            why: "new digest at 0%: gains no traffic, nothing to smoke, not released",
            traffic: { percent: 0, previous: A, keep: [] },
            revision: B,
            released: [A],
            kind: "direct",
            service: [e(B, 0), e(A, 100)],
            smoke: null,
            runnerTarget: null,
            after: [A],
        },
        {
            why: "canary 10% -> 100% of a released revision: the Service writes it",
            traffic: { percent: 100, previous: A, keep: [] },
            revision: B,
            released: [B, A],
            kind: "direct",
            service: [e(B, 100), e(A, 0)],
            smoke: null,
            runnerTarget: null,
            after: [B, A],
        },
        {
            why: "rollback by percent 0: previous is released, the Service writes it",
            traffic: { percent: 0, previous: A, keep: [] },
            revision: B,
            released: [B, A],
            kind: "direct",
            service: [e(B, 0), e(A, 100)],
            smoke: null,
            runnerTarget: null,
            after: [A, B],
        },
    ];
    for (const r of rows) {
        const p = releasePlan("api", r.traffic, r.revision, r.released, r.lastServing ?? null);
        assert.equal(p.kind, r.kind, r.why);
        assert.deepEqual(p.service, r.service, r.why);
        assert.deepEqual(p.smoke, r.smoke ? { tag: r.smoke } : null, r.why);
        assert.deepEqual(p.runnerTarget, r.runnerTarget, r.why);
        assert.deepEqual(p.released, r.after, r.why);
        assert.equal(
            p.service.reduce((n, x) => n + x.percent, 0),
            100,
            `${r.why}: sums to 100`,
        );
    }
    assert.throws(
        () => releasePlan("api", { percent: 0, previous: B, keep: [] }, A, [A]),
        new RegExp(`^Error: previous: revision ${B} would take traffic but has never passed a release`),
    );
});

test("released revisions: the last released output, or for outputs without it every known revision", () => {
    assert.deepEqual(releasedRevisions(undefined, "api"), []);
    assert.deepEqual(releasedRevisions({ api: { released: [B, A] } }, "api"), [B, A]);
    assert.deepEqual(releasedRevisions({ api: { servingRevision: A, revisions: [B, A] } }, "api"), [B, A]);
    // The runbook's rollback on outputs without `released`: B serves, A served before; percent 0
    // with previous A is a direct write, not refused.
    const old = { api: { servingRevision: B, revisions: [B, A] } };
    const rollback = releasePlan(
        "api",
        { percent: 0, previous: A, keep: [] },
        B,
        releasedRevisions(old, "api"),
    );
    assert.equal(rollback.kind, "direct");
    assert.deepEqual(releasedRevisions({ web: { servingRevision: A } }, "api"), []);
});

test("RELEASE_SPEC carries the contract's keys in order, no undefined status, nothing but names and paths", () => {
    const json = releaseSpecJson({
        project: "p",
        region: "r",
        service: "api",
        smoke: { tag: "rev-x" },
        target: [{ ...e(B, 100), extra: 1 } as any, e(A, 0)],
        checks: {
            readinessPath: "/readiness",
            healthPath: "/health",
            checks: [{ path: "/v1" }, { path: "/x", status: 404 }],
            timeoutSeconds: 5,
        },
        audience: null,
        tester: null,
    });
    assert.deepEqual(Object.keys(JSON.parse(json)), [
        "project",
        "region",
        "service",
        "smoke",
        "target",
        "checks",
        "audience",
        "tester",
    ]);
    assert.deepEqual(JSON.parse(json).target[0], e(B, 100));
    assert.deepEqual(JSON.parse(json).checks.checks, [{ path: "/v1" }, { path: "/x", status: 404 }]);
});

test("the runner's result line is read back: serving revision, tag URLs; a missing or partial line fails naming what lacks", () => {
    const line = formatReleaseResult({
        service: "api",
        smoked: `rev-${B.slice(4)}`,
        smoke: { ok: true, results: [] },
        latestReadyRevision: B,
        trafficStatuses: [
            { ...e(B, 10), uri: "https://b" },
            { ...e(A, 90), uri: "https://a" },
        ],
    });
    const r = parseReleaseResult(`smoke /readiness 200\nsmoke /health 200\n${line}`);
    assert.equal(servingOf(r), A);
    assert.deepEqual(tagUrlsOf(r), {
        [`rev-${B.slice(4)}`]: "https://b",
        [`rev-${A.slice(4)}`]: "https://a",
    });
    assert.throws(() => parseReleaseResult("smoke /health 503"), /printed no "release-result:" line.*503/);
    assert.throws(() => parseReleaseResult("release-result: {"), /not JSON/);
    assert.throws(
        () =>
            parseReleaseResult(
                'release-result: {"service":"api","smoked":true,"trafficStatuses":[{"revision":"x"}]}',
            ),
        /off the contract \(smoked: .*; latestReadyRevision: .*; trafficStatuses\.0\.percent: /,
    );
    // A resource path where the contract has a short name is refused, not compared as a name.
    assert.throws(
        () =>
            parseReleaseResult(
                line.replace(
                    `"latestReadyRevision":"${B}"`,
                    `"latestReadyRevision":"projects/p/locations/r/services/api/revisions/${B}"`,
                ),
            ),
        /latestReadyRevision: must be a short revision name/,
    );
});

test("the tester's account id fits Google's rule and never equals the service's own", () => {
    const pattern = new RegExp(rules.iam.limits.accountIdPattern);
    for (const [stack, svc] of [
        ["gcp-staging", "api"],
        ["gcp-production", "payments-worker-long-name"],
        ["s", "a"],
    ]) {
        const own = serviceAccountId(stack, svc);
        const t = testerAccountId(own);
        assert.match(t, pattern, t);
        assert.notEqual(t, own);
    }
    assert.equal(testerAccountId("api-gcp-staging"), "api-gcp-staging-smoke");
    assert.equal(
        deployerMember("ci@p.iam.gserviceaccount.com"),
        "serviceAccount:ci@p.iam.gserviceaccount.com",
    );
    assert.equal(deployerMember("dev@example.com"), "user:dev@example.com");
    assert.throws(() => deployerMember(""), /no email/);
    assert.match(
        releaseAudience("p", "asia-east1", "api"),
        new RegExp(rules.run.limits.customAudiencePattern),
    );
});
