/**
 * The program loads the way Pulumi's nodejs host loads it: ts-node from devDependencies with the
 * project's TypeScript 5 (not the vendored 3.8 fallback), the host's compiler options over
 * tsconfig.json, CommonJS. Run in a plain `node` child process, without tsx.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const fixture = path.join(__dirname, "fixtures", "load-with-ts-node.js");

function load(stack: string, env: Record<string, string> = {}) {
    const out = execFileSync(process.execPath, [fixture, stack], {
        env: { ...process.env, ...env, NODE_OPTIONS: "" },
        encoding: "utf8",
        // A guard against a hung child, not a time target: type-checking the whole program on a
        // loaded two-core machine has taken two minutes (docs/benchmarks.md holds the figures).
        timeout: 360_000,
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

test("staging loads through ts-node with type checking, as `pulumi up` does by default", () => {
    const r = load("staging");
    assert.match(r.typescript, /^5\./);
    assert.match(r.typescriptPath, /node_modules\/typescript\//);
    assert.ok(!r.typescriptPath.includes("vendor"), "not the vendored TypeScript 3.8");
    assert.match(r.tsNode, /^10\./);
    assert.ok(r.resources > 50, `${r.resources} resources`);
});

test("production loads through ts-node in transpile-only mode (PULUMI_NODEJS_TRANSPILE_ONLY=true)", () => {
    const r = load("production", { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
    assert.ok(r.resources > 50, `${r.resources} resources`);
});
