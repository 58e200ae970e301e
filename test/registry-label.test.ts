import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { ENV_LABEL, declarationLabel, parseEnvDeclaration, type EnvEntry } from "../components/contract";
import { declarationFromLabels } from "../components/contract";
import {
    RegistryReadError,
    parseChallenge,
    readImageConfigLabels,
    registryLocation,
} from "../components/registry";
import { LoopbackRegistry, REGISTRY_PASSWORD, REGISTRY_USER, freePort } from "./support/registry";

const ROOT = path.resolve(__dirname, "..");
const APP = path.join(ROOT, "app", ".env.example");
const label = () => declarationLabel(parseEnvDeclaration(fs.readFileSync(APP, "utf8"), APP));
const D = `sha256:${"a".repeat(64)}`;

test("a reference names its API host, repository and digest the way the docker CLI reads it", () => {
    const cases: [string, string, string][] = [
        [`ghcr.io/acme/api@${D}`, "https://ghcr.io", "acme/api"],
        [`ghcr.io/acme/api:v1@${D}`, "https://ghcr.io", "acme/api"],
        [
            `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api@${D}`,
            "https://123456789012.dkr.ecr.ap-northeast-1.amazonaws.com",
            "api",
        ],
        [
            `asia-east1-docker.pkg.dev/p/services/api@${D}`,
            "https://asia-east1-docker.pkg.dev",
            "p/services/api",
        ],
        [`nginx@${D}`, "https://registry-1.docker.io", "library/nginx"],
        [`acme/api@${D}`, "https://registry-1.docker.io", "acme/api"],
        [`docker.io/acme/api@${D}`, "https://registry-1.docker.io", "acme/api"],
        [`127.0.0.1:5000/api@${D}`, "http://127.0.0.1:5000", "api"],
        [`localhost:5000/team/api@${D}`, "http://localhost:5000", "team/api"],
    ];
    for (const [ref, base, name] of cases)
        assert.deepEqual(registryLocation(ref), { base, name, digest: D }, ref);
});

test("a registry's challenge is read for its scheme and parameters", () => {
    assert.deepEqual(
        parseChallenge(
            'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/api:pull"',
        ),
        {
            scheme: "bearer",
            params: { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:acme/api:pull" },
        },
    );
    assert.deepEqual(parseChallenge('Basic realm="loopback"'), {
        scheme: "basic",
        params: { realm: "loopback" },
    });
});

const registry = new LoopbackRegistry();
let labelled = "";
let bare = "";
const creds = { username: REGISTRY_USER, password: REGISTRY_PASSWORD };

before(async () => {
    await registry.start();
    labelled = registry.push("api", "v1", { [ENV_LABEL]: label(), "org.opencontainers.image.version": "1" });
    bare = registry.push("api", "bare", { "org.opencontainers.image.version": "2" });
});
after(() => registry.stop());

test("the label is read from a real registry's image config, through the index, with the registry login", async () => {
    for (const platform of ["linux/arm64", "linux/amd64"]) {
        const labels = await readImageConfigLabels(labelled, platform, creds);
        assert.equal(labels[ENV_LABEL], label());
        assert.deepEqual(
            declarationFromLabels(labelled, labels)?.declaration,
            declarationFromLabels(labelled, { [ENV_LABEL]: label() })?.declaration,
        );
        assert.equal(declarationFromLabels(labelled, labels)?.source, `label ${ENV_LABEL} of ${labelled}`);
    }
});

test("a single manifest (no index) is read directly", async () => {
    const blob = JSON.parse(
        fs.readFileSync(
            path.join(registry.dir, "layouts", "api-v1", "blobs", "sha256", labelled.split(":").pop()!),
            "utf8",
        ),
    );
    const arm = blob.manifests.find(
        (m: { platform: { architecture: string } }) => m.platform.architecture === "arm64",
    );
    const ref = `${registry.host}/api@${arm.digest}`;
    assert.equal((await readImageConfigLabels(ref, "linux/arm64", creds))[ENV_LABEL], label());
});

test("a wrong password is refused with a message naming the image and the user, never a silent pass", async () => {
    await assert.rejects(
        readImageConfigLabels(labelled, "linux/arm64", { ...creds, password: "wrong" }),
        (e: unknown) => {
            assert.ok(e instanceof RegistryReadError);
            assert.equal(e.refused, true);
            assert.equal(
                e.message,
                `SD-017: image ${labelled}: reading its config from ${registry.host} for label ${ENV_LABEL}: the registry refused the credentials of user "${REGISTRY_USER}" (HTTP 401); check the registry login the stack gives this image (see docs/failures.md#sd-017)`,
            );
            return true;
        },
    );
    await assert.rejects(
        readImageConfigLabels(labelled, "linux/arm64", undefined),
        /refused an anonymous pull \(HTTP 401\)/,
    );
});

test("an image without the label reads as no declaration; the check is then advisory, not passed", async () => {
    const labels = await readImageConfigLabels(bare, "linux/arm64", creds);
    assert.equal(labels["org.opencontainers.image.version"], "2");
    assert.equal(declarationFromLabels(bare, labels), undefined);
});

test("a missing platform, a digest the registry lacks and a closed port each say what is wrong", async () => {
    await assert.rejects(
        readImageConfigLabels(labelled, "linux/riscv64", creds),
        /its index has no linux\/riscv64 manifest/,
    );
    await assert.rejects(
        readImageConfigLabels(`${registry.host}/api@sha256:${"0".repeat(64)}`, "linux/arm64", creds),
        /has no manifest sha256:0{64} \(HTTP 404\); push the image first/,
    );
    const closed = `127.0.0.1:${await freePort()}`;
    await assert.rejects(
        readImageConfigLabels(`${closed}/api@${D}`, "linux/arm64", creds),
        new RegExp(`${closed.replace(/\./g, "\\.")} cannot be reached \\(ECONNREFUSED\\)`),
    );
});

/** What a preview of a ServiceImage for `ref` says, with the real reader and this pull login. */
function preview(
    ref: string,
    password: string,
    env: Record<string, EnvEntry>,
): { platforms?: string[]; source?: string; error?: string; warned?: boolean } {
    const r = spawnSync(
        process.execPath,
        [
            "--import",
            "tsx",
            path.join(__dirname, "support", "preview-image.ts"),
            JSON.stringify({ ref, registry: registry.host, username: REGISTRY_USER, password, env }),
        ],
        { cwd: ROOT, encoding: "utf8" },
    );
    const line = r.stdout.trim().split("\n").pop();
    if (!line) throw new Error(`preview-image printed nothing: ${r.stderr}`);
    const out = JSON.parse(line);
    return r.stderr.includes(`carries no ${ENV_LABEL} label`) ? { ...out, warned: true } : out;
}

const appEnv = (): Record<string, EnvEntry> => ({
    DATABASE_URL: { from: "database.url" },
    PORT: { from: "service.port" },
});

test("at preview the image's label holds the env: read with the pull login; a missing variable fails naming it", () => {
    assert.deepEqual(preview(labelled, REGISTRY_PASSWORD, appEnv()), {
        platforms: ["linux/amd64", "linux/arm64"],
        source: `label ${ENV_LABEL} of ${labelled}`,
    });
    const { DATABASE_URL: _, ...missing } = appEnv();
    assert.deepEqual(preview(labelled, REGISTRY_PASSWORD, missing), {
        error: `SD-006: service "api" reads DATABASE_URL (label ${ENV_LABEL} of ${labelled}), which env does not set; add env.DATABASE_URL (see docs/failures.md#sd-006)`,
    });
});

test("at preview a refused pull login fails the preview naming the image", () => {
    assert.deepEqual(preview(labelled, "wrong", appEnv()), {
        error: `SD-017: image ${labelled}: reading its config from ${registry.host} for label ${ENV_LABEL}: the registry refused the credentials of user "${REGISTRY_USER}" (HTTP 401); check the registry login the stack gives this image (see docs/failures.md#sd-017)`,
    });
});

test("at preview an image without the label is not checked (advisory), and says so", () => {
    const { DATABASE_URL: _, ...missing } = appEnv();
    assert.deepEqual(preview(bare, REGISTRY_PASSWORD, missing), {
        platforms: ["linux/amd64", "linux/arm64"],
        warned: true,
    });
});
