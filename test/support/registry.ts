/**
 * A real registry on loopback for the label reader's tests: Debian's docker-registry
 * (distribution) on 127.0.0.1:<free port> behind an htpasswd user, and images pushed to it with
 * skopeo from an OCI layout built here by hand (one tiny layer, a config with the given labels,
 * one manifest per architecture, an index over them). No daemon, no podman, no network beyond
 * 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const REGISTRY_USER = "puller";
export const REGISTRY_PASSWORD = "loopback-registry-password";

const sha = (b: Buffer | string) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address() as net.AddressInfo;
            s.close(() => resolve(port));
        });
    });
}

export class LoopbackRegistry {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-registry-"));
    host = "";
    /** Certificate and key files to serve HTTPS with. @default plain HTTP */
    protected tls?: { certificate: string; key: string };
    private proc?: ChildProcess;

    /** The status `GET /v2/` answers, or undefined while the registry is not up. */
    protected async probe(): Promise<number | undefined> {
        return (await fetch(`http://${this.host}/v2/`).catch(() => undefined))?.status;
    }

    async start(): Promise<void> {
        const port = await freePort();
        this.host = `127.0.0.1:${port}`;
        const d = this.dir;
        execFileSync("htpasswd", ["-Bbc", `${d}/htpasswd`, REGISTRY_USER, REGISTRY_PASSWORD], {
            stdio: "ignore",
        });
        fs.writeFileSync(
            `${d}/registry.yml`,
            [
                "version: 0.1",
                "log:",
                "  level: warn",
                "storage:",
                "  filesystem:",
                `    rootdirectory: ${d}/storage`,
                "http:",
                `  addr: ${this.host}`,
                ...(this.tls
                    ? ["  tls:", `    certificate: ${this.tls.certificate}`, `    key: ${this.tls.key}`]
                    : []),
                "auth:",
                "  htpasswd:",
                "    realm: loopback",
                `    path: ${d}/htpasswd`,
                "",
            ].join("\n"),
        );
        const log = fs.openSync(`${d}/registry.log`, "a");
        this.proc = spawn("/usr/bin/docker-registry", ["serve", `${d}/registry.yml`], {
            stdio: ["ignore", log, log],
        });
        const until = Date.now() + 20_000;
        while (Date.now() < until) {
            if ((await this.probe()) === 401) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`docker-registry did not come up:\n${fs.readFileSync(`${d}/registry.log`, "utf8")}`);
    }

    stop(): void {
        this.proc?.kill("SIGTERM");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    /**
     * Push `name:tag` as an index over `archs`, each config carrying `labels`; returns
     * `<host>/<name>@<index digest>`.
     */
    push(name: string, tag: string, labels: Record<string, string>, archs = ["amd64", "arm64"]): string {
        const layout = path.join(this.dir, "layouts", `${name}-${tag}`);
        const blobs = path.join(layout, "blobs", "sha256");
        fs.mkdirSync(blobs, { recursive: true });
        const put = (b: Buffer | string) => {
            const digest = sha(b);
            fs.writeFileSync(path.join(blobs, digest.slice(7)), b);
            return { digest, size: Buffer.byteLength(b) };
        };
        const rootfs = path.join(this.dir, "rootfs", `${name}-${tag}`);
        fs.mkdirSync(rootfs, { recursive: true });
        fs.writeFileSync(path.join(rootfs, "hello"), `${name}:${tag}\n`);
        const layer = execFileSync("tar", [
            "-C",
            rootfs,
            "--owner=0",
            "--group=0",
            "--mtime=@0",
            "-cf",
            "-",
            "hello",
        ]);
        const l = put(layer);
        const manifests = archs.map((architecture) => {
            const config = put(
                JSON.stringify({
                    architecture,
                    os: "linux",
                    config: { Labels: labels, Cmd: ["/hello"] },
                    rootfs: { type: "layers", diff_ids: [l.digest] },
                }),
            );
            const m = put(
                JSON.stringify({
                    schemaVersion: 2,
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
                    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...l }],
                }),
            );
            return {
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                ...m,
                platform: { os: "linux", architecture },
            };
        });
        const index = JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.index.v1+json",
            manifests,
        });
        const i = put(index);
        fs.writeFileSync(path.join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
        fs.writeFileSync(
            path.join(layout, "index.json"),
            JSON.stringify({
                schemaVersion: 2,
                manifests: [
                    {
                        mediaType: "application/vnd.oci.image.index.v1+json",
                        ...i,
                        annotations: { "org.opencontainers.image.ref.name": tag },
                    },
                ],
            }),
        );
        execFileSync(
            "skopeo",
            [
                "copy",
                "--all",
                "--preserve-digests",
                "--dest-tls-verify=false",
                "--dest-creds",
                `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
                `oci:${layout}:${tag}`,
                `docker://${this.host}/${name}:${tag}`,
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
        );
        return `${this.host}/${name}@${i.digest}`;
    }
}
