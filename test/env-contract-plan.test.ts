/**
 * The offline plan holds a prebuilt image to the app's env declaration it carries as a label,
 * read from the --registry file (as a preview reads it from the registry); without the label the
 * declaration is listed as unverified and the pack's env check is advisory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ENV_LABEL, declarationLabel, parseEnvDeclaration } from "../components/contract";
import { runPlan } from "../scripts/plan-process";

const ROOT = path.resolve(__dirname, "..");
const APP_FILE = path.join(ROOT, "app", ".env.example");
const app = () => parseEnvDeclaration(fs.readFileSync(APP_FILE, "utf8"), "app/.env.example");

/** A --registry file answering for a committed stack's prebuilt ref, in the per-ref form, with labels. */
function registryFile(ref: string, labels: Record<string, string> | undefined, legacy = false): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-registry-"));
    const file = path.join(dir, "registry.json");
    const platforms = ["linux/amd64", "linux/arm64"];
    fs.writeFileSync(
        file,
        JSON.stringify(legacy ? { [ref.split("@")[0]]: platforms } : { [ref]: { platforms, labels } }),
    );
    return file;
}
const VM_REF = () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.vm-staging.yaml"), "utf8");
    return /ref: (\S+@sha256:[0-9a-f]{64})/.exec(text)![1];
};

test("plan: a prebuilt ref's label read from the --registry file holds the VM stack to the app's declaration", async () => {
    const ok = await runPlan([
        "--stack",
        "vm-staging",
        "--json",
        "--registry",
        registryFile(VM_REF(), { [ENV_LABEL]: declarationLabel(app()) }),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const good = JSON.parse(ok.stdout);
    assert.deepEqual(good.violations, []);
    assert.ok(!good.notes.some((n: string) => n.includes(ENV_LABEL)), good.notes.join("\n"));
    assert.ok(
        good.warnings.some((w: string) =>
            w.includes("sets STRIPE_API_KEY, which label dev.service-deploy.env of ghcr.io/acme/api@sha256:"),
        ),
    );

    const asks = JSON.stringify({ ...JSON.parse(declarationLabel(app())), REDIS_URL: "required" });
    const bad = await runPlan([
        "--stack",
        "vm-staging",
        "--json",
        "--registry",
        registryFile(VM_REF(), { [ENV_LABEL]: asks }),
    ]);
    // The program itself reads the label (here from the file, at preview from the registry) and
    // stops before any resource, naming the variable: what a real preview does.
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(bad.stdout, "");
    assert.match(
        bad.stderr,
        /service "api" reads REDIS_URL \(label dev\.service-deploy\.env of ghcr\.io\/acme\/api@sha256:[0-9a-f]{64}\), which env does not set; add env\.REDIS_URL/,
    );
});

test("plan: without the label (or with the old --registry form) the declaration is listed as not verified offline and the check is advisory", async () => {
    for (const file of [undefined, registryFile(VM_REF(), undefined, true)]) {
        const r = await runPlan(["--stack", "vm-staging", "--json", ...(file ? ["--registry", file] : [])]);
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.ok(
            out.notes.some(
                (n: string) =>
                    n.startsWith('env declaration of service "api" (ghcr.io/acme/api@sha256:') &&
                    n.endsWith("env-contract-complete is advisory for this stack"),
            ),
            out.notes.join("\n"),
        );
        assert.equal(
            out.policies.find((p: { name: string }) => p.name === "env-contract-complete").enforcementLevel,
            "advisory",
        );
    }
});

test("plan: a malformed label in the --registry file is refused naming the image and the label", async () => {
    const r = await runPlan([
        "--stack",
        "vm-staging",
        "--registry",
        registryFile(VM_REF(), { [ENV_LABEL]: '{"DATABASE_URL":"sekret"}' }),
    ]);
    assert.equal(r.code, 2);
    assert.match(
        r.stderr,
        /label dev\.service-deploy\.env of ghcr\.io\/acme\/api@sha256:[0-9a-f]{64}: label dev\.service-deploy\.env: DATABASE_URL: /,
    );
});
