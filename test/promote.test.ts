/**
 * Promotion: the pure decisions (scripts/promotion.ts) table by table, then `npm run promote` as a
 * user runs it, against copies of the committed stack files in a scratch git repository, with the
 * saved outputs files in test/fixtures/promote. Every refusal and bad input leaves the file as it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    changesBeyondDigests,
    changesBeyondTraffic,
    decide,
    needsServingRevision,
    parseServingRevisions,
    parseStagingOutputs,
    pendingChanges,
    PromotionInputError,
    rewriteStackFile,
    targetServices,
    withPrevious,
    type StagingService,
    type TargetService,
} from "../scripts/promotion";

const ROOT = path.resolve(__dirname, "..");
const FIX = path.join(ROOT, "test", "fixtures", "promote");
const D_OLD = "sha256:4f2a9c1e7b3d5a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a";
const D_NEW = "sha256:9c3e5a7b1d2f4e6a8c0b2d4f6e8a0c2b4d6f8e0a2c4b6d8f0e2a4c6b8d0f2e4a";
const ECR = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api";
/** Production's own repository (components/aws/ecr.ts): promotion copies staging's digest there. */
const PROD_ECR = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/production/api";
const fixture = (f: string) => JSON.parse(fs.readFileSync(path.join(FIX, f), "utf8"));
const healthy = (over: Partial<StagingService> = {}): StagingService => ({
    name: "api",
    target: "aws",
    image: `${ECR}@${D_NEW}`,
    digest: D_NEW,
    deployed: { digest: D_NEW, healthy: true, evidence: "ECS reached steady state" },
    ...over,
});
const target: TargetService[] = [
    { index: 0, name: "api", target: "aws", ref: `${ECR}@${D_OLD}`, builds: false },
];

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

const GAR = "asia-east1-docker.pkg.dev/acme-services-prod/services/api";
const SERVING = "api-4f2a9c1e7b3d-cd4119";
const STALE = "api-9b1c3e5a7d9f-3c4d5e";

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

// ---------------------------------------------------------------------------------------------
// The CLI, in a scratch repository holding copies of the committed stack files.
// ---------------------------------------------------------------------------------------------
const git = (dir: string, ...a: string[]) =>
    spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...a], { cwd: dir });
function scratch(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-test-"));
    for (const f of [
        "Pulumi.yaml",
        "Pulumi.staging.yaml",
        "Pulumi.production.yaml",
        "Pulumi.gcp-staging.yaml",
        "Pulumi.gcp-production.yaml",
    ])
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    git(dir, "init", "-q");
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "stack files");
    return dir;
}
function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(
            process.execPath,
            ["--require", "./scripts/register.js", "scripts/promote.ts", ...args],
            { cwd: ROOT, env: { ...process.env, PATH: "/usr/bin:/bin" } },
        );
        let stderr = "";
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stderr }));
    });
}
const prodFile = (dir: string) => fs.readFileSync(path.join(dir, "Pulumi.production.yaml"), "utf8");

test("npm run promote: writes staging's digest into Pulumi.production.yaml, one line, checked by both plans", async () => {
    const dir = scratch();
    const before = prodFile(dir);
    const r = await cli([
        "--from",
        "staging",
        "--to",
        "production",
        "--outputs",
        path.join(FIX, "staging-healthy.json"),
        "--preview",
        path.join(FIX, "production-preview-clean.json"),
        "--dir",
        dir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(prodFile(dir), before.replace(`${PROD_ECR}@${D_OLD}`, `${PROD_ECR}@${D_NEW}`));
    // Production keeps its own repository and is told to copy staging's digest into it, unchanged.
    assert.match(
        r.stderr,
        /the digest comes from 123456789012\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com\/api: copy it first, digest intact, e\.g\. `skopeo copy --all --preserve-digests docker:\/\/\S+\/api@sha256:9c3e\S+ docker:\/\/\S+\/production\/api@sha256:9c3e/,
    );
    assert.match(
        r.stderr,
        /api: .*api@sha256:4f2a9c1e7b3d… -> .*api@sha256:9c3e5a7b1d2f… {2}\(staging: ECS reached steady state on .*api:42\)/,
    );
    assert.doesNotMatch(r.stderr, /not verified offline/, "the saved preview verified the pending changes");
    assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.includes(".promote-")),
        [],
        "the staged file was renamed into place",
    );
    const again = await cli([
        "--from",
        "staging",
        "--to",
        "production",
        "--outputs",
        path.join(FIX, "staging-healthy.json"),
        "--dir",
        dir,
    ]);
    assert.equal(again.code, 2, "the file is now dirty: commit it first");
    git(dir, "commit", "-qam", "promote");
    const noop = await cli([
        "--from",
        "staging",
        "--to",
        "production",
        "--outputs",
        path.join(FIX, "staging-healthy.json"),
        "--dir",
        dir,
    ]);
    assert.equal(noop.code, 0, noop.stderr);
    assert.match(
        noop.stderr,
        /nothing to promote; Pulumi.production.yaml already pins what staging runs \(api\)/,
    );
});

test("npm run promote: gcp-staging -> gcp-production keeps production's repository, moves traffic.previous to what production serves, says to copy the digest", async () => {
    const dir = scratch();
    const gcpFile = () => fs.readFileSync(path.join(dir, "Pulumi.gcp-production.yaml"), "utf8");
    const original = gcpFile();
    const args = [
        "--from",
        "gcp-staging",
        "--to",
        "gcp-production",
        "--outputs",
        path.join(FIX, "gcp-staging-healthy.json"),
        "--dir",
        dir,
    ];
    const offline = await cli(args);
    assert.equal(offline.code, 2, "offline, the target's outputs must come from a file too");
    assert.match(
        offline.stderr,
        /api runs on Cloud Run: promotion moves cloudRun\.traffic\.previous to the revision gcp-production serves now; pass --target-outputs <file> saved from `pulumi stack output --json --stack gcp-production`/,
    );
    assert.equal(gcpFile(), original);
    const r = await cli([...args, "--target-outputs", path.join(FIX, "gcp-production-outputs.json")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
        gcpFile(),
        original
            .replace(`${GAR}@${D_OLD}`, `${GAR}@${D_NEW}`)
            .replace(/\n( {8}traffic:\n {10}percent: 100\n)/, `\n$1          previous: ${SERVING}\n`),
    );
    assert.match(
        r.stderr,
        /cloudRun\.traffic\.previous: \(unset\) -> api-4f2a9c1e7b3d-cd4119 {2}\(what gcp-production serves now; `percent: 0` rolls back to it\)/,
    );
    assert.match(
        r.stderr,
        /copy it first, digest intact, e\.g\. `skopeo copy --all --preserve-digests docker:\/\/asia-east1-docker\.pkg\.dev\/acme-services-staging\/services\/api@sha256:9c3e\S+ docker:\/\/asia-east1-docker\.pkg\.dev\/acme-services-prod\/services\/api@sha256:9c3e/,
    );
    assert.match(r.stderr, /not verified offline: that gcp-production has no pending changes/);
    assert.match(r.stderr, /only the digests and Cloud Run's traffic change/);
});

test("npm run promote: each refusal (exit 1) and bad input (exit 2) says why and writes nothing", async () => {
    const dir = scratch();
    const dirty = scratch();
    fs.appendFileSync(path.join(dirty, "Pulumi.production.yaml"), "# a local edit\n");
    const broken = scratch();
    fs.writeFileSync(
        path.join(broken, "Pulumi.production.yaml"),
        prodFile(broken).replace("desiredCount: 3", "desiredCount: many"),
    );
    git(broken, "commit", "-qam", "break");
    const o = (f: string) => ["--outputs", path.join(FIX, f)];
    const cases: [string, string[], string, number, RegExp][] = [
        [
            "staging unhealthy",
            [...o("staging-rolled-back.json")],
            dir,
            1,
            /refused\n {2}- staging is not healthy: service api on aws: ECS settled on .*api:41, not .*api:42 .*rolled back/,
        ],
        [
            "staging not running its digest",
            [...o("staging-digest-mismatch.json")],
            dir,
            1,
            /staging is not running the digest it claims: service api claims sha256:9c3e\S+, aws reports sha256:5555/,
        ],
        [
            "production has pending changes",
            [...o("staging-healthy.json"), "--preview", path.join(FIX, "production-preview-pending.json")],
            dir,
            1,
            /production would change more than the promoted digests: before the rewrite its preview already has 1 pending change[\s\S]*update urn:pulumi:production::service-deploy::aws:rds\/instance:Instance::aws-pg-db/,
        ],
        [
            "production's plan fails",
            [...o("staging-healthy.json")],
            broken,
            1,
            /the offline plan of production fails before the rewrite:[\s\S]*desiredCount/,
        ],
        [
            "unknown stack",
            ["--to", "prod", ...o("staging-healthy.json")],
            dir,
            2,
            /unknown stack prod: no .*Pulumi\.prod\.yaml; known stacks: gcp-production, gcp-staging, production, staging/,
        ],
        [
            "missing output",
            [...o("staging-missing-deployed.json")],
            dir,
            2,
            /missing output services\.api\.deployed/,
        ],
        [
            "digest without @sha256:",
            [...o("staging-unpinned.json")],
            dir,
            2,
            /output services\.api\.image is ".*api:latest": not pinned by digest/,
        ],
        [
            "dirty stack file",
            [...o("staging-healthy.json")],
            dirty,
            2,
            /Pulumi\.production\.yaml has uncommitted changes \(git status: M Pulumi\.production\.yaml\); commit or discard them first/,
        ],
        [
            "no outputs file, no pulumi CLI",
            [],
            dir,
            2,
            /the pulumi CLI is not on PATH; pass --outputs <file> saved from `pulumi stack output --json --stack staging`/,
        ],
        [
            "missing outputs file",
            ["--outputs", "/nonexistent.json"],
            dir,
            2,
            /--outputs \/nonexistent\.json: no such file/,
        ],
        ["unknown argument", ["--force"], dir, 2, /promote: unknown argument --force\nusage:/],
    ];
    const runs = await Promise.all(
        cases.map(([, extra, d]) => {
            const args = ["--from", "staging", "--to", "production", "--dir", d, ...extra];
            const to = extra.indexOf("--to");
            if (to >= 0) {
                args.splice(2, 2);
            }
            return cli(args);
        }),
    );
    for (const [i, [name, , , code, want]] of cases.entries()) {
        assert.equal(runs[i].code, code, `${name}: ${runs[i].stderr}`);
        assert.match(runs[i].stderr, want, name);
    }
    assert.equal(
        prodFile(dir),
        fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8"),
        "no refusal wrote the file",
    );
    assert.ok(
        prodFile(dirty).endsWith("# a local edit\n") && prodFile(broken).includes("desiredCount: many"),
        "nor the dirty or broken ones",
    );
    assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.includes(".promote-")),
        [],
        "no staged file left behind",
    );
});
