/**
 * SD-002: an amd64-only image for an arm64 host. A digest-pinned image whose index lacks
 * the target's platform fails the plan (and a real preview, where the same check reads the
 * registry), naming the platform and the target. Run as the CLI: the failure surfaces the way
 * the engine surfaces it, as a failed program.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { planCli } from "./mocks";

const plan = (...args: string[]) => planCli(args);

test("production refuses an amd64-only image for its arm64 Fargate service, naming platform and target", async () => {
    const r = await plan("--stack", "production", "--registry", "test/fixtures/registry-amd64-only.json");
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(
        r.stderr,
        /image 123456789012\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com\/production\/api@sha256:[0-9a-f]{64} has no linux\/arm64 manifest \(it holds linux\/amd64\), but aws service "api" runs on linux\/arm64; rebuild with --platform linux\/amd64,linux\/arm64/,
    );
});

test("the same image with both platforms passes", async () => {
    const r = await plan("--stack", "production", "--registry", "test/fixtures/registry-both.json", "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).outputs.services.api.platforms, ["linux/amd64", "linux/arm64"]);
});

test("a malformed registry fixture is a usage error naming the file", async () => {
    const r = await plan("--stack", "production", "--registry", "package.json");
    assert.equal(r.code, 2);
    assert.match(
        r.stderr,
        /--registry package\.json: expected \{ "<repository or ref>": \["linux\/amd64", \.\.\.\] or \{ "platforms": \[\.\.\.\], "labels": \{ "<label>": "<value>" \} \} \}; "name" is neither/,
    );
});
