/**
 * `npm run promote` and `npm run copy-digest` print the same copy line, built in one place
 * (scripts/copy-digest.ts): after a promotion from saved staging outputs, the copy that puts
 * staging's digest into production's own repository.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { copyDigestCommand, registryLoginCommand } from "../scripts/copy-digest";

const ROOT = path.resolve(__dirname, "..");
const FIX = path.join(ROOT, "test", "fixtures", "promote");
const REGISTRY = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";

function scratch(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-copy-"));
    for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"])
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    const git = (...a: string[]) => execFileSync("git", ["-C", dir, ...a], { stdio: "ignore" });
    git("init", "-q");
    git("add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "stack files");
    return dir;
}

const run = (script: string, args: string[], cwd: string) =>
    spawnSync(
        process.execPath,
        ["--require", path.join(ROOT, "scripts/register.js"), path.join(ROOT, script), ...args],
        {
            cwd,
            encoding: "utf8",
            env: { ...process.env, PATH: "/usr/bin:/bin" },
        },
    );

test("npm run promote prints the copy npm run copy-digest runs: staging's digest into production's own repository", () => {
    const dir = scratch();
    try {
        const outputs = path.join(FIX, "staging-healthy.json");
        const staged = JSON.parse(fs.readFileSync(outputs, "utf8")).services.api;
        const expected = copyDigestCommand(staged.image, `${REGISTRY}/production/api@${staged.digest}`);

        const promote = run(
            "scripts/promote.ts",
            [
                "--from",
                "staging",
                "--to",
                "production",
                "--outputs",
                outputs,
                "--preview",
                path.join(FIX, "production-preview-clean.json"),
                "--dir",
                dir,
            ],
            ROOT,
        );
        assert.equal(promote.status, 0, promote.stderr);
        assert.ok(promote.stderr.includes(`\`${expected}\``), promote.stderr);

        const copy = run(
            "scripts/copy-digest.ts",
            ["--from", "staging", "--to", "production", "--outputs", outputs],
            dir,
        );
        assert.equal(copy.status, 0, copy.stderr);
        assert.deepEqual(copy.stdout.trim().split("\n"), [registryLoginCommand(REGISTRY), expected]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
