/**
 * A Cloud Run release across successive `pulumi up`s, under mocks, from the committed gcp-staging
 * stack with one field changed per step: what the Service writes and what the release step's
 * RELEASE_SPEC asks the runner, each update reading the last one's outputs as the stack reference
 * to itself does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { graphOf } from "./mocks";
import { gcpStagingVariant, gcpStagingWith, lastOutputsOf, planJson } from "./gcp-plans";
import { RELEASE_COMMAND } from "../components/gcp/release-plan";

const ROOT = path.resolve(__dirname, "..");
const B = `sha256:${"7c".repeat(32)}`;

const plan = planJson;
const variant = gcpStagingVariant;
const withImage = (digest: string, traffic: object) => gcpStagingWith(digest, traffic);
const one = (doc: any, type: string) => {
    const found = doc.resources.filter((r: any) => r.type === type);
    assert.equal(found.length, 1, type);
    return found[0];
};
const traffics = (doc: any) =>
    one(doc, "gcp:cloudrunv2/service:Service").inputs.traffics.map((t: any) => [t.revision, t.percent]);
const releaseCommand = (doc: any) => one(doc, "command:local:Command").inputs;
const spec = (doc: any) => JSON.parse(releaseCommand(doc).environment.RELEASE_SPEC);
const tagOf = (revision: string) => `rev-${revision.slice(4)}`;
const target = (...entries: [string, number][]) =>
    entries.map(([revision, percent]) => ({ revision, percent, tag: tagOf(revision) }));

test("a release across ups: first deploy smoked after, a new digest staged then smoked, released revisions moved without a smoke, a failed run retried", async () => {
    // 1. First deploy: the new revision must take 100% (Cloud Run needs traffic summing to 100);
    //    the runner smokes it after, nothing else serves yet.
    const first = await plan(["--stack", "gcp-staging"]);
    const A = first.outputs.services.api.servingRevision as string;
    assert.deepEqual(traffics(first), [[A, 100]]);
    const cmd = releaseCommand(first);
    assert.equal(cmd.create, RELEASE_COMMAND);
    assert.equal(cmd.dir, ROOT);
    assert.equal(cmd.logging, "none");
    const checks = { readinessPath: "/readiness", healthPath: "/health", checks: [], timeoutSeconds: 5 };
    assert.deepEqual(spec(first), {
        project: "acme-services-staging",
        region: "asia-east1",
        service: "api",
        smoke: { tag: tagOf(A) },
        target: null,
        checks,
        audience: null,
        tester: null,
    });
    assert.deepEqual(first.outputs.services.api.released, [A]);

    // 2. New digest at 100%: the Service stages it (new at 0%, A serves), the runner smokes its
    //    tag and then moves traffic to the config's list.
    const staged = await plan([
        "--stack",
        "fixture",
        "--config",
        withImage(B, { percent: 100, previous: A }),
        ...lastOutputsOf(first),
    ]);
    const Bname = one(staged, "gcp:cloudrunv2/service:Service").inputs.template.revision as string;
    assert.match(Bname, /^api-7c7c7c7c7c7c-[0-9a-f]{6}$/);
    assert.deepEqual(traffics(staged), [
        [Bname, 0],
        [A, 100],
    ]);
    assert.deepEqual(spec(staged).smoke, { tag: tagOf(Bname) });
    assert.deepEqual(spec(staged).target, target([Bname, 100], [A, 0]));
    // The outputs come from the runner's result, not from the Service's staged list.
    const out = staged.outputs.services.api;
    assert.equal(out.servingRevision, Bname);
    assert.deepEqual(out.released, [Bname, A]);
    // The offline answer is the runner's own result line (scripts/offline/release.ts); the real
    // runner's line for the program's spec is read back in test/gcp-release-join.test.ts.
    assert.deepEqual(out.deployed, {
        digest: B,
        healthy: true,
        evidence: `revision ${Bname} is ready and serves 100% of traffic`,
    });
    assert.equal(out.deployed.healthy, true);
    assert.deepEqual(Object.keys(out.tagUrls).sort(), [tagOf(A), tagOf(Bname)].sort());

    // 3. Canary 10% of the released B: no smoke, the Service writes the target itself.
    // 4. Rollback by percent 0: A is released, no smoke.
    const [canary, rollback] = await Promise.all([
        plan([
            "--stack",
            "fixture",
            "--config",
            withImage(B, { percent: 10, previous: A }),
            ...lastOutputsOf(staged),
        ]),
        plan([
            "--stack",
            "fixture",
            "--config",
            withImage(B, { percent: 0, previous: A }),
            ...lastOutputsOf(staged),
        ]),
    ]);
    assert.deepEqual(traffics(canary), [
        [Bname, 10],
        [A, 90],
    ]);
    assert.deepEqual([spec(canary).smoke, spec(canary).target], [null, null]);
    assert.equal(canary.outputs.services.api.servingRevision, A);
    assert.deepEqual(traffics(rollback), [
        [Bname, 0],
        [A, 100],
    ]);
    assert.deepEqual([spec(rollback).smoke, spec(rollback).target], [null, null]);
    assert.equal(rollback.outputs.services.api.servingRevision, A);

    // 5. After a failed run: a third digest was staged and its smoke failed, so the up saved no
    //    outputs; the next up reads the rollback's outputs and plans the same staged release.
    const C = `sha256:${"3e".repeat(32)}`;
    const config = withImage(C, { percent: 100, previous: A, keep: [Bname] });
    const [attempt, retry] = await Promise.all([
        plan(["--stack", "fixture", "--config", config, ...lastOutputsOf(rollback)]),
        plan(["--stack", "fixture", "--config", config, ...lastOutputsOf(rollback)]),
    ]);
    const Cname = one(attempt, "gcp:cloudrunv2/service:Service").inputs.template.revision as string;
    assert.ok(!rollback.outputs.services.api.released.includes(Cname));
    assert.deepEqual(traffics(attempt), [
        [Cname, 0],
        [A, 100],
        [Bname, 0],
    ]);
    assert.deepEqual(spec(retry), spec(attempt));
    assert.deepEqual(spec(retry).smoke, { tag: tagOf(Cname) });
    assert.deepEqual(traffics(retry), traffics(attempt));
});

test("a private service smokes with a tester's ID token; a public one needs none", async () => {
    const pub = await plan(["--stack", "gcp-staging"]);
    // In this process (one stack per process): the recorded graph has each resource's dependencies.
    const g = await graphOf("fixture", { configFile: variant((svc) => (svc.cloudRun.public = false)) });
    const priv = {
        resources: g.result.resources.map((r) => ({ ...r, inputs: g.inputs(r) })),
    };
    assert.equal(spec(pub).tester, null);
    assert.equal(spec(pub).audience, null);
    assert.equal(one(pub, "gcp:cloudrunv2/service:Service").inputs.customAudiences, undefined);
    assert.equal(
        pub.resources.filter((r: any) => r.type === "gcp:serviceaccount/iAMMember:IAMMember").length,
        0,
    );

    const accounts = priv.resources.filter((r: any) => r.type === "gcp:serviceaccount/account:Account");
    const t = accounts.find((a: any) => a.name.endsWith("-release-tester"));
    assert.ok(t, accounts.map((a: any) => a.name).join(", "));
    assert.equal(t.inputs.accountId, "api-fixture-smoke");
    const email = `api-fixture-smoke@acme-services-staging.iam.gserviceaccount.com`;
    const audience = "https://api.asia-east1.acme-services-staging.release-smoke.invalid";
    assert.deepEqual(one(priv, "gcp:cloudrunv2/service:Service").inputs.customAudiences, [audience]);
    assert.equal(spec(priv).tester, email);
    assert.equal(spec(priv).audience, audience);
    const invokers = priv.resources
        .filter((r: any) => r.type === "gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
        .map((r: any) => [r.inputs.role, r.inputs.member]);
    assert.deepEqual(invokers, [["roles/run.invoker", `serviceAccount:${email}`]]);
    const creator = one(priv, "gcp:serviceaccount/iAMMember:IAMMember").inputs;
    assert.equal(creator.role, "roles/iam.serviceAccountOpenIdTokenCreator");
    assert.equal(creator.member, "serviceAccount:deployer@acme-services-staging.iam.gserviceaccount.com");
    assert.equal(creator.serviceAccountId, `projects/acme-services-staging/serviceAccounts/${email}`);
    const cmd = one(priv, "command:local:Command");
    for (const r of priv.resources.filter((x: any) =>
        [
            "gcp:cloudrunv2/service:Service",
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            "gcp:serviceaccount/iAMMember:IAMMember",
        ].includes(x.type),
    ))
        assert.ok(cmd.dependencies.includes(r.urn), `the release step waits on ${r.name}`);
});

test("public true and false name different revisions: the custom audience is a service field, so the revision name hashes it", async () => {
    const [pub, priv] = await Promise.all([
        plan(["--stack", "fixture", "--config", variant((svc) => (svc.cloudRun.public = true))]),
        plan(["--stack", "fixture", "--config", variant((svc) => (svc.cloudRun.public = false))]),
    ]);
    const name = (doc: any) => one(doc, "gcp:cloudrunv2/service:Service").inputs.template.revision as string;
    assert.match(name(pub), /^api-[0-9a-f]{12}-[0-9a-f]{6}$/);
    assert.match(name(priv), /^api-[0-9a-f]{12}-[0-9a-f]{6}$/);
    assert.notEqual(name(pub), name(priv));
    // Hashed only: the template sent carries no custom audience.
    assert.equal(one(priv, "gcp:cloudrunv2/service:Service").inputs.template.customAudiences, undefined);
});

test("the committed gcp-staging config (percent 100, no previous) stages a new digest behind the revision that served last", async () => {
    const first = await plan(["--stack", "gcp-staging"]);
    const A = first.outputs.services.api.servingRevision as string;
    const staging = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.gcp-staging.yaml"), "utf8"));
    const traffic = staging.config["service-deploy:services"][0].cloudRun.traffic;
    assert.equal(traffic.previous, undefined, "the committed config names no previous");
    const next = await plan([
        "--stack",
        "gcp-staging",
        "--config",
        withImage(B, traffic),
        ...lastOutputsOf(first),
    ]);
    const Bname = one(next, "gcp:cloudrunv2/service:Service").inputs.template.revision as string;
    assert.notEqual(Bname, A);
    assert.deepEqual(traffics(next), [
        [Bname, 0],
        [A, 100],
    ]);
    assert.deepEqual(spec(next).smoke, { tag: tagOf(Bname) });
    assert.deepEqual(spec(next).target, target([Bname, 100]));
    assert.equal(next.outputs.services.api.servingRevision, Bname);
});
