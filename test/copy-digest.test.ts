/**
 * The promoted digest's copy into production's own repository (scripts/copy-digest.ts): the
 * command as a string, the copies a promotion needs, and the exact command run against a real
 * docker-registry on 127.0.0.1 with two repositories, proving the index digest and both platforms
 * arrive unchanged.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { copyDigestCommand, copyScript, plannedCopies, registryLoginCommand } from "../scripts/copy-digest";
import { LoopbackRegistry, REGISTRY_PASSWORD, REGISTRY_USER } from "./support/registry";

const ROOT = path.resolve(__dirname, "..");
const D = `sha256:${"9c3e".repeat(16)}`;
const ECR = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";

describe("copy-digest: the command", () => {
    it("copies every platform of the index and keeps its digest, from staging's repository to production's", () => {
        assert.equal(
            copyDigestCommand(`${ECR}/api@${D}`, `${ECR}/production/api@${D}`),
            `skopeo copy --all --preserve-digests docker://${ECR}/api@${D} docker://${ECR}/production/api@${D}`,
        );
        // A tag before the digest is not part of what is copied.
        assert.equal(
            copyDigestCommand(`${ECR}/api:src-abc@${D}`, `${ECR}/production/api@${D}`),
            `skopeo copy --all --preserve-digests docker://${ECR}/api@${D} docker://${ECR}/production/api@${D}`,
        );
    });

    it("refuses references that are not pinned, differ in digest, or carry shell characters", () => {
        assert.throws(
            () => copyDigestCommand(`${ECR}/api:latest`, `${ECR}/production/api@${D}`),
            /copy from/,
        );
        assert.throws(
            () => copyDigestCommand(`${ECR}/api@${D}`, `${ECR}/production/api@sha256:${"0".repeat(64)}`),
            /the digests differ/,
        );
        assert.throws(
            () => copyDigestCommand(`${ECR}/api;rm -rf /@${D}`, `${ECR}/production/api@${D}`),
            /copy from/,
        );
    });

    it("logs in to ECR and Artifact Registry with the job's identity through a pipe, never a password argument", () => {
        assert.equal(
            registryLoginCommand(ECR),
            `aws ecr get-login-password --region ap-northeast-1 | skopeo login --username AWS --password-stdin ${ECR}`,
        );
        assert.equal(
            registryLoginCommand("asia-east1-docker.pkg.dev"),
            "gcloud auth print-access-token | skopeo login --username oauth2accesstoken --password-stdin asia-east1-docker.pkg.dev",
        );
        assert.equal(registryLoginCommand("ghcr.io"), undefined);
    });

    it("plans one copy per production service pinned in its own repository, one login per registry", () => {
        const outputs = JSON.parse(
            fs.readFileSync(path.join(ROOT, "test/fixtures/promote/staging-healthy.json"), "utf8"),
        );
        const text = fs.readFileSync(path.join(ROOT, "Pulumi.production.yaml"), "utf8");
        const copies = plannedCopies(outputs, "staging outputs", text, "Pulumi.production.yaml");
        assert.equal(copies.length, 1);
        const staged = outputs.services.api;
        assert.equal(copies[0].from, staged.image);
        assert.equal(copies[0].to, `${ECR}/production/api@${staged.digest}`);
        assert.deepEqual(copyScript(copies), [registryLoginCommand(ECR), copies[0].command]);
        // A stack that pulls from staging's own repository needs no copy.
        const same = text.replace(`${ECR}/production/api@`, `${ECR}/api@`);
        assert.deepEqual(plannedCopies(outputs, "staging outputs", same, "Pulumi.production.yaml"), []);
    });
});

/**
 * The loopback registry served over TLS with a CA made here: skopeo verifies it through
 * SSL_CERT_FILE (Go's system roots), so the copy runs exactly as built, TLS verification on.
 */
class TlsRegistry extends LoopbackRegistry {
    ca = "";

    async start(): Promise<void> {
        const d = this.dir;
        const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: d, stdio: "ignore" });
        ssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=loopback CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        );
        ssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "tls.key",
            "-out",
            "tls.csr",
        );
        fs.writeFileSync(path.join(d, "san.ext"), "subjectAltName = IP:127.0.0.1\n");
        ssl(
            "x509",
            "-req",
            "-in",
            "tls.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.ext",
            "-out",
            "tls.pem",
        );
        this.ca = fs.readFileSync(path.join(d, "ca.pem"), "utf8");
        this.tls = { certificate: `${d}/tls.pem`, key: `${d}/tls.key` };
        await super.start();
    }

    protected override async probe(): Promise<number | undefined> {
        return (await this.get("/v2/").catch(() => undefined))?.status;
    }

    /** GET over TLS verified against the loopback CA. */
    get(
        p: string,
        headers: Record<string, string> = {},
    ): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
        return new Promise((resolve, reject) => {
            const [hostname, port] = this.host.split(":");
            https
                .get({ hostname, port: Number(port), path: p, ca: this.ca, headers }, (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c) => chunks.push(c));
                    res.on("end", () =>
                        resolve({
                            status: res.statusCode ?? 0,
                            headers: res.headers,
                            body: Buffer.concat(chunks),
                        }),
                    );
                })
                .on("error", reject);
        });
    }
}

describe("copy-digest: the command against a real registry", () => {
    const registry = new TlsRegistry();
    let staged = "";
    const env = { ...process.env };

    before(async () => {
        await registry.start();
        staged = registry.push("api", "src-abc", { "org.opencontainers.image.version": "1" });
        // skopeo trusts the loopback CA through Go's SSL_CERT_FILE; the login goes to an auth file
        // of this test's own, as promote.yml's login step writes the runner's.
        env.SSL_CERT_FILE = path.join(registry.dir, "ca.pem");
        env.REGISTRY_AUTH_FILE = path.join(registry.dir, "auth.json");
        execFileSync("skopeo", ["login", "--username", REGISTRY_USER, "--password-stdin", registry.host], {
            input: REGISTRY_PASSWORD,
            env,
            stdio: ["pipe", "ignore", "pipe"],
        });
    });
    after(() => registry.stop());

    /** The manifest the registry serves for `repo@digest`, and the digest it says it has. */
    async function manifest(repo: string, digest: string): Promise<{ body: Buffer; digest: unknown }> {
        const r = await registry.get(`/v2/${repo}/manifests/${digest}`, {
            Authorization: `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString("base64")}`,
            Accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
        });
        assert.equal(r.status, 200, `${repo}@${digest}: HTTP ${r.status}`);
        return { body: r.body, digest: r.headers["docker-content-digest"] };
    }

    it("copies a two-platform index into the production repository with the same index and platform digests", async () => {
        const digest = staged.split("@")[1];
        const to = `${registry.host}/production/api@${digest}`;
        const command = copyDigestCommand(staged, to);
        const r = spawnSync("bash", ["-o", "pipefail", "-c", command], { env, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);

        const source = await manifest("api", digest);
        const copied = await manifest("production/api", digest);
        assert.equal(copied.digest, digest);
        assert.ok(copied.body.equals(source.body), "the index bytes are the same");
        const index = JSON.parse(copied.body.toString());
        assert.deepEqual(index.manifests.map((m: any) => m.platform.architecture).sort(), ["amd64", "arm64"]);
        for (const m of index.manifests)
            assert.equal((await manifest("production/api", m.digest)).digest, m.digest);
    });
});
