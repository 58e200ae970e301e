/**
 * A loopback "Oracle VM" for the VM target's real runs: openssh-server on 127.0.0.1:2222 with a
 * pinned host key and a generated client key, docker-registry on 127.0.0.1:5000 with an htpasswd
 * user, nginx on 127.0.0.1:8088, a webhook receiver on 127.0.0.1:8099, and podman (runc, lowered
 * ulimits) reached through the SSH session. Everything binds to 127.0.0.1 and stops in `stop()`.
 *
 * Test images are made offline: a rootfs holding Debian's busybox-static (PID 1's shell) and the
 * app server test/vm/app/serve.c (compiled statically once per lab), imported once per
 * architecture and pushed as an amd64+arm64 index (or a single-platform one where a test needs it).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type HostPaths, hostScriptFiles } from "../../components/vm/commands";
import { buildTestImage, type TestImageVariant } from "./lab-images";

export const SSH_PORT = 2222;
export const REGISTRY = "127.0.0.1:5000";
export const NGINX_LISTEN = "127.0.0.1:8088";
export const HOOK_PORT = 8099;
export const REGISTRY_USER = "deployer";
export const REGISTRY_PASSWORD = "lab-registry-password";
/** Where the host script and its parts live in this repository. */
const VM_DIR = path.resolve(__dirname, "..", "..", "components", "vm");

const sh = (cmd: string, opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
    execFileSync("bash", ["-c", cmd], { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...opts });

export interface RunResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

export class Lab {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    private procs: ChildProcess[] = [];

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-vm-lab-"));
        this.env = {
            ...process.env,
            CONTAINERS_CONF: path.join(this.dir, "containers.conf"),
            CONTAINERS_REGISTRIES_CONF: path.join(this.dir, "registries.conf"),
            PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        };
    }

    get nginxConf() {
        return path.join(this.dir, "nginx.conf");
    }
    get nginxDir() {
        return path.join(this.dir, "nginx.d");
    }
    get stateDir() {
        return path.join(this.dir, "state");
    }
    get hostRoot() {
        return path.join(this.dir, "opt");
    }
    get hooksLog() {
        return path.join(this.dir, "hooks.log");
    }
    get serveBinary() {
        return path.join(this.dir, "serve");
    }

    /** Start every daemon. Throws with the daemon's own log when one does not come up. */
    start(): void {
        const d = this.dir;
        fs.writeFileSync(
            path.join(d, "containers.conf"),
            '[engine]\nruntime = "runc"\n[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n',
        );
        fs.writeFileSync(
            path.join(d, "registries.conf"),
            `unqualified-search-registries = []\n[[registry]]\nlocation = "${REGISTRY}"\ninsecure = true\n`,
        );
        fs.mkdirSync(this.nginxDir, { recursive: true });
        fs.mkdirSync(this.stateDir, { recursive: true });
        fs.mkdirSync(this.hostRoot, { recursive: true });

        // The test app's server (see serve.c for why not busybox httpd): static, so the rootfs
        // needs nothing else. Linked for this machine's architecture; the arm64 entry of each
        // index carries the same bytes, which only the arch check and the index ever read.
        sh(`gcc -static -O2 -Wall -o ${this.serveBinary} ${path.join(__dirname, "app", "serve.c")}`);

        // sshd: pinned host key, key-only root login, the lab's container config in every session.
        sh(
            `ssh-keygen -q -t ed25519 -N '' -f ${d}/host_key && ssh-keygen -q -t ed25519 -N '' -f ${d}/client_key && cp ${d}/client_key.pub ${d}/authorized_keys && chmod 600 ${d}/authorized_keys && mkdir -p /run/sshd`,
        );
        fs.writeFileSync(
            path.join(d, "known_hosts"),
            `[127.0.0.1]:${SSH_PORT} ${fs.readFileSync(path.join(d, "host_key.pub"), "utf8")}`,
        );
        fs.writeFileSync(
            path.join(d, "sshd_config"),
            [
                `Port ${SSH_PORT}`,
                "ListenAddress 127.0.0.1",
                `HostKey ${d}/host_key`,
                `PidFile ${d}/sshd.pid`,
                // The lab's root key, and a user's own (the host model's non-root deploy user).
                `AuthorizedKeysFile ${d}/authorized_keys .ssh/authorized_keys`,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "MaxStartups 30:30:60",
                // SHLVL=1: bash run by sshd sources ~/.bashrc only as a top-level shell (bash's shell.c,
                // SSH_SOURCE_BASHRC, `shell_level < 2`). This machine's root .bashrc runs `pyenv init`
                // (~0.7 s a session); a VM's deploy account has no such thing, so the lab's sessions
                // skip it and SSH timings measure SSH, not this box's developer tooling.
                `SetEnv CONTAINERS_CONF=${this.env.CONTAINERS_CONF} CONTAINERS_REGISTRIES_CONF=${this.env.CONTAINERS_REGISTRIES_CONF} PATH=${this.env.PATH} SHLVL=1`,
                "",
            ].join("\n"),
        );
        this.daemon("/usr/sbin/sshd", ["-f", `${d}/sshd_config`, "-D", "-e"], "sshd");

        // The registry, with one htpasswd user.
        sh(`htpasswd -Bbn ${REGISTRY_USER} ${REGISTRY_PASSWORD} > ${d}/htpasswd`);
        fs.writeFileSync(
            path.join(d, "registry.yml"),
            [
                "version: 0.1",
                "log:",
                "  level: warn",
                "storage:",
                "  filesystem:",
                `    rootdirectory: ${d}/registry`,
                "  delete:",
                "    enabled: true",
                "http:",
                `  addr: ${REGISTRY}`,
                "auth:",
                "  htpasswd:",
                "    realm: lab",
                `    path: ${d}/htpasswd`,
                "",
            ].join("\n"),
        );
        this.daemon("/usr/bin/docker-registry", ["serve", `${d}/registry.yml`], "registry");

        // nginx with the deploy's include directory.
        fs.writeFileSync(
            this.nginxConf,
            [
                "worker_processes 2;",
                `pid ${d}/nginx.pid;`,
                `error_log ${d}/nginx-error.log warn;`,
                "events { worker_connections 1024; }",
                "http {",
                "    access_log off;",
                `    client_body_temp_path ${d}/nginx-tmp;`,
                `    proxy_temp_path ${d}/nginx-tmp;`,
                `    include ${this.nginxDir}/*.conf;`,
                "}",
                "",
            ].join("\n"),
        );
        fs.mkdirSync(path.join(d, "nginx-tmp"), { recursive: true });
        sh(`nginx -c ${this.nginxConf}`);

        // A webhook receiver: busybox httpd with a CGI that appends the POST body to hooks.log.
        fs.mkdirSync(path.join(d, "hook", "cgi-bin"), { recursive: true });
        fs.writeFileSync(
            path.join(d, "hook", "cgi-bin", "hook"),
            `#!/bin/sh\nhead -c "\${CONTENT_LENGTH:-0}" >> ${this.hooksLog}\necho >> ${this.hooksLog}\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n`,
            { mode: 0o755 },
        );
        this.daemon(
            "/bin/busybox",
            ["httpd", "-f", "-p", `127.0.0.1:${HOOK_PORT}`, "-h", `${d}/hook`],
            "hook",
        );

        this.waitFor(() => this.ssh("true").code === 0, "sshd");
        this.waitFor(
            () =>
                spawnSync("bash", [
                    "-c",
                    `wget -q -O /dev/null --user ${REGISTRY_USER} --password ${REGISTRY_PASSWORD} http://${REGISTRY}/v2/`,
                ]).status === 0,
            "registry",
        );
        sh(`podman login --username ${REGISTRY_USER} --password-stdin ${REGISTRY}`, {
            env: this.env,
            input: REGISTRY_PASSWORD,
        });
    }

    private daemon(cmd: string, args: string[], name: string): void {
        const log = fs.openSync(path.join(this.dir, `${name}.log`), "a");
        const p = spawn(cmd, args, { env: this.env, stdio: ["ignore", log, log], detached: false });
        this.procs.push(p);
    }

    private waitFor(ok: () => boolean, what: string, seconds = 20): void {
        const until = Date.now() + seconds * 1000;
        while (Date.now() < until) {
            if (ok()) return;
            spawnSync("sleep", ["0.2"]);
        }
        const logs = fs
            .readdirSync(this.dir)
            .filter((f) => f.endsWith(".log"))
            .map((f) => `${f}: ${fs.readFileSync(path.join(this.dir, f), "utf8").slice(-2000)}`)
            .join("\n");
        throw new Error(`${what} did not come up within ${seconds}s\n${logs}`);
    }

    /** Run a command on the "host" over SSH, as the component does (key auth, pinned host key). */
    ssh(
        command: string,
        opts: { input?: string; env?: Record<string, string>; timeoutMs?: number; user?: string } = {},
    ): RunResult {
        const prefix = Object.entries(opts.env ?? {})
            .map(([k, v]) => `export ${k}=${v}; `)
            .join("");
        const started = Date.now();
        const r = spawnSync("ssh", this.sshArgs(prefix + command, opts.user), {
            encoding: "utf8",
            input: opts.input ?? "",
            timeout: opts.timeoutMs ?? 180_000,
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
    }

    /** The same, in the background (for concurrent and interrupted deploys). */
    sshAsync(
        command: string,
        opts: { input?: string; sshOptions?: string[] } = {},
    ): { proc: ChildProcess; done: Promise<RunResult> } {
        const started = Date.now();
        const proc = spawn("ssh", [...(opts.sshOptions ?? []), ...this.sshArgs(command)], {
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "",
            stderr = "";
        proc.stdout!.on("data", (x) => (stdout += x));
        proc.stderr!.on("data", (x) => (stderr += x));
        proc.stdin!.end(opts.input ?? "");
        const done = new Promise<RunResult>((resolve) =>
            proc.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
        );
        return { proc, done };
    }

    /** ssh's arguments for one command as `user` (root unless told). */
    sshArgs(command: string, user = "root"): string[] {
        return [
            "-p",
            String(SSH_PORT),
            "-i",
            path.join(this.dir, "client_key"),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            `UserKnownHostsFile=${path.join(this.dir, "known_hosts")}`,
            "-o",
            "LogLevel=ERROR",
            `${user}@127.0.0.1`,
            command,
        ];
    }

    /** Copy a file to the host with the given mode (what remote.CopyToRemote does, over ssh here). */
    copy(content: string, remotePath: string, mode = "0644", user = "root"): void {
        const r = spawnSync(
            "ssh",
            this.sshArgs(
                `umask 077 && mkdir -p "$(dirname '${remotePath}')" && cat > '${remotePath}' && chmod ${mode} '${remotePath}'`,
                user,
            ),
            { input: content, encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`copy to ${remotePath} failed: ${r.stderr}`);
    }

    /**
     * Build and push a test app image as an index of the given architectures; returns
     * `<registry>/<name>@sha256:<digest>` (lab-images.ts). `variant` decides the app's behaviour.
     */
    image(
        name: string,
        tag: string,
        variant: TestImageVariant,
        version: string,
        archs: string[] = ["amd64", "arm64"],
        labels: Record<string, string> = {},
    ): string {
        return buildTestImage(this, { name, tag, variant, version, archs, labels });
    }

    /**
     * The host script and its parts (hostScriptFiles), copied as the deploy copies them: each
     * file by the same user, the same way, mode 0755.
     */
    installScript(p: HostPaths, user = "root"): void {
        for (const f of hostScriptFiles(p))
            this.copy(fs.readFileSync(path.join(VM_DIR, f.source), "utf8"), f.remotePath, "0755", user);
    }

    /** Everything nginx serves for a path, through the front door. */
    get(p: string): { status: number; body: string } {
        const r = spawnSync("bash", ["-c", `wget -S -q -O - http://${NGINX_LISTEN}${p} 2>&1`], {
            encoding: "utf8",
        });
        const status = Number(/HTTP\/1\.\d (\d{3})/.exec(r.stdout)?.[1] ?? 0);
        return {
            status,
            body: r.stdout
                .split("\n")
                .filter((l) => !l.startsWith("  "))
                .join("\n")
                .trim(),
        };
    }

    /**
     * wrk against nginx for `seconds`, in the background; resolves with requests and failures.
     * Each request on its own connection (`Connection: close`): an nginx reload closes its idle
     * keep-alive client connections, which HTTP clients retry but wrk counts as read errors, so
     * keep-alive would measure wrk, not the deploy. A slow answer is not a failed one: the
     * timeout is 10 s (wrk's 2 s default trips on this shared 2-core machine while podman starts
     * a container).
     */
    load(seconds: number, connections = 16): Promise<{ requests: number; failed: number; raw: string }> {
        return new Promise((resolve) => {
            // Niced: on this 2-core box the load generator must not starve sshd and podman, which on
            // a real VM do not share their CPUs with the clients.
            const p = spawn(
                "nice",
                [
                    "-n",
                    "10",
                    "wrk",
                    "-t",
                    "2",
                    "-c",
                    String(connections),
                    "-d",
                    `${seconds}s`,
                    "-H",
                    "Connection: close",
                    "--timeout",
                    "10s",
                    "--latency",
                    `http://${NGINX_LISTEN}/health`,
                ],
                { stdio: ["ignore", "pipe", "pipe"] },
            );
            let out = "";
            p.stdout.on("data", (x) => (out += x));
            p.on("close", () => resolve(parseWrk(out)));
        });
    }

    stop(): void {
        spawnSync(
            "bash",
            [
                "-c",
                `nginx -c ${this.nginxConf} -s stop 2>/dev/null; podman rm -af -t 1 >/dev/null 2>&1; podman network ls --format '{{.Name}}' | grep '^service-deploy-' | xargs -r podman network rm >/dev/null 2>&1; true`,
            ],
            { env: this.env },
        );
        for (const p of this.procs) p.kill("SIGTERM");
        spawnSync("bash", [
            "-c",
            `[ -f ${this.dir}/sshd.pid ] && kill $(cat ${this.dir}/sshd.pid) 2>/dev/null; true`,
        ]);
    }
}

/** Requests and failures (non-2xx plus socket errors) from wrk's report. Pure. */
export function parseWrk(out: string): { requests: number; failed: number; raw: string } {
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    return { requests, failed: non2xx + socketErrors, raw: out };
}

export { labAvailable } from "./lab-images";
