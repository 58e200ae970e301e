/** `npm run deploy`: offline plan first, then `pulumi up` with the pack only where a CLI and a login exist, never production. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nextStep } from "../scripts/deploy";

const ROOT = path.resolve(__dirname, "..");

test("nextStep: up with the stack's pack config, or say why not", () => {
    assert.deepEqual(nextStep({ stack: "staging", production: false, cli: "ready", yes: false }), {
        run: [
            "up",
            "--stack",
            "staging",
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            "policies/config/staging.json",
        ],
    });
    assert.deepEqual(nextStep({ stack: "staging", production: false, cli: "ready", yes: true }), {
        run: [
            "up",
            "--stack",
            "staging",
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            "policies/config/staging.json",
            "--yes",
        ],
    });
    assert.match(
        (nextStep({ stack: "production", production: true, cli: "ready", yes: true }) as { skip: string })
            .skip,
        /production stack: it is deployed by promotion only/,
    );
    assert.match(
        (nextStep({ stack: "staging", production: false, cli: "missing", yes: false }) as { skip: string })
            .skip,
        /no pulumi CLI on PATH: offline plan only/,
    );
    assert.match(
        (nextStep({ stack: "staging", production: false, cli: "logged-out", yes: false }) as { skip: string })
            .skip,
        /not logged in/,
    );
});

function run(
    args: string[],
    fakePulumi: boolean,
): Promise<{ code: number | null; stdout: string; stderr: string; calls: string }> {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const calls = path.join(bin, "calls");
    if (fakePulumi)
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$*" >> '${calls}'\nexit 0\n`, {
            mode: 0o755,
        });
    return new Promise((resolve) => {
        const p = spawn(
            process.execPath,
            ["--require", "./scripts/register.js", "scripts/deploy.ts", ...args],
            { cwd: ROOT, env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } },
        );
        let stdout = "",
            stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) =>
            resolve({
                code,
                stdout,
                stderr,
                calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8") : "",
            }),
        );
    });
}

test("npm run deploy: the offline plan, then pulumi up with the pack where a logged-in CLI exists; production and bad input never reach up", async () => {
    const [withCli, noCli, prod, bad] = await Promise.all([
        run(["--stack", "staging", "--yes"], true),
        run(["--stack", "staging"], false),
        run(["--stack", "production"], true),
        run(["--stack", "nope"], true),
    ]);
    assert.equal(withCli.code, 0, withCli.stderr);
    assert.match(withCli.stdout, /Policies: \d+ evaluated, 0 violations/);
    assert.equal(
        withCli.calls,
        "whoami\nup --stack staging --policy-pack policies --policy-pack-config policies/config/staging.json --yes\n",
    );
    assert.equal(noCli.code, 0, noCli.stderr);
    assert.match(noCli.stderr, /the offline plan passed; no pulumi CLI on PATH: offline plan only/);
    assert.equal(prod.code, 0, prod.stderr);
    assert.equal(prod.calls, "whoami\n", "no up of production");
    assert.match(prod.stderr, /production stack: it is deployed by promotion only/);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no stack file Pulumi\.nope\.yaml; known stacks: /);
    assert.equal(bad.calls, "", "a failed plan stops before the CLI");
});
