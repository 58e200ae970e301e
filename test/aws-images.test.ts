/**
 * Images on AWS: the tag a build pushes is unique per build yet the same on every preview, and
 * production refuses to pull from a repository that is not its own (docs/aws.md#images).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildTag, contextCommit, contextTag } from "../components/image";
import { foreignRepositoryProblem, ownRepositoryName } from "../components/aws/ecr";
import { planCli } from "./mocks";

const ROOT = path.resolve(__dirname, "..");

/** A scratch git repository with an app/ context, and a helper to commit in it. */
function scratch() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-tag-"));
    const git = (...args: string[]) => {
        const r = spawnSync("git", ["-C", dir, ...args], {
            encoding: "utf8",
            env: {
                ...process.env,
                GIT_AUTHOR_NAME: "t",
                GIT_AUTHOR_EMAIL: "t@example.com",
                GIT_COMMITTER_NAME: "t",
                GIT_COMMITTER_EMAIL: "t@example.com",
            },
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    };
    git("init", "-q");
    const app = path.join(dir, "app");
    fs.mkdirSync(app);
    const commit = (file: string, text: string, message: string) => {
        fs.writeFileSync(path.join(dir, file), text);
        git("add", "-A");
        git("commit", "-q", "-m", message);
    };
    const tag = (platforms = ["linux/amd64", "linux/arm64"]) =>
        buildTag({
            contextHash: contextTag(app),
            dockerfile: "Dockerfile",
            platforms,
            commit: contextCommit(app),
        });
    return { dir, app, commit, tag, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test("a rebuild of content pushed before (a revert) gets a new tag: the registry's tags are immutable", () => {
    const s = scratch();
    try {
        s.commit("app/Dockerfile", "FROM scratch\n", "v1");
        const v1 = s.tag();
        s.commit("app/Dockerfile", "FROM scratch\nLABEL x=1\n", "v2");
        const v2 = s.tag();
        s.commit("app/Dockerfile", "FROM scratch\n", "revert v2");
        const reverted = s.tag();
        assert.notEqual(v2, v1);
        // Same files as v1, but built again: v1's tag already holds v1's digest in ECR.
        assert.notEqual(reverted, v1);
        assert.match(reverted, /^src-[0-9a-f]{12}-[0-9a-f]{12}$/);
    } finally {
        s.cleanup();
    }
});

test("the tag is the same on every preview, and a commit outside the context does not change it", () => {
    const s = scratch();
    try {
        s.commit("app/Dockerfile", "FROM scratch\n", "app");
        const before = s.tag();
        assert.equal(s.tag(), before);
        s.commit("README.md", "docs\n", "docs only");
        assert.equal(s.tag(), before, "a docs-only commit neither rebuilds nor redeploys");
    } finally {
        s.cleanup();
    }
});

test("the tag changes with the platforms, which the builder rebuilds for", () => {
    const s = scratch();
    try {
        s.commit("app/Dockerfile", "FROM scratch\n", "app");
        assert.notEqual(s.tag(["linux/arm64"]), s.tag(["linux/amd64", "linux/arm64"]));
        assert.equal(s.tag(["linux/arm64", "linux/amd64"]), s.tag(["linux/amd64", "linux/arm64"]));
    } finally {
        s.cleanup();
    }
});

test("outside a git checkout the commit is unknown and the tag is the hash alone", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-nogit-"));
    try {
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
        assert.equal(contextCommit(dir), undefined);
        assert.match(
            buildTag({ contextHash: contextTag(dir), dockerfile: "Dockerfile", platforms: ["linux/arm64"] }),
            /^src-[0-9a-f]{12}$/,
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

const ECR = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";
const DIGEST = `sha256:${"4f2a".repeat(16)}`;

test("production's ECR ref must name the repository the stack owns", () => {
    assert.equal(ownRepositoryName("production", "api"), "production/api");
    const table: [string, RegExp | undefined][] = [
        [`${ECR}/production/api@${DIGEST}`, undefined],
        [`${ECR}/production/api:v1@${DIGEST}`, undefined],
        // Not ECR: no stack of this project creates it.
        [`ghcr.io/acme/api@${DIGEST}`, undefined],
        [
            `${ECR}/api@${DIGEST}`,
            /^SD-024: service-deploy:services\[0\]\.image\.ref \(api\) pulls from ECR repository api, which this production stack does not own .* set image\.ref to 123456789012\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com\/production\/api@sha256:4f2a.* \(see docs\/failures\.md#sd-024\)$/,
        ],
    ];
    for (const [ref, want] of table) {
        const got = foreignRepositoryProblem({ ref, stack: "production", service: "api", index: 0 });
        if (want) assert.match(got ?? "", want, ref);
        else assert.equal(got, undefined, ref);
    }
});

test("npm run plan refuses a production stack that pulls from staging's repository, before any resource", async () => {
    const file = path.join(ROOT, "Pulumi.production.yaml");
    const text = fs.readFileSync(file, "utf8");
    const own = `${ECR}/production/api@`;
    assert.ok(text.includes(own), "the committed production stack pins its own repository");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prod-foreign-"));
    const changed = path.join(dir, "Pulumi.production.yaml");
    fs.writeFileSync(changed, text.replace(own, `${ECR}/api@`));
    try {
        const r = await planCli(["--stack", "production", "--config", changed, "--json"]);
        assert.notEqual(r.code, 0);
        assert.match(
            r.stdout + r.stderr,
            /SD-024: service-deploy:services\[0\]\.image\.ref \(api\) pulls from ECR repository api/,
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
