/**
 * `npm run promote` as a user runs it, against copies of the committed stack files in a scratch
 * git repository, with the saved outputs files in test/fixtures/promote. Every refusal and bad
 * input leaves the file as it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { D_NEW, D_OLD, FIX, GAR, PROD_ECR, ROOT, SERVING } from "./promote-helpers";

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
