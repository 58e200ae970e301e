/**
 * The lab's test images, made offline: a rootfs holding Debian's busybox-static (PID 1's shell)
 * and the app server test/vm/app/serve.c, imported once per architecture and pushed as an index;
 * and whether this machine can run the lab at all.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REGISTRY } from "./lab";

/** How the test app behaves: serves, never ready, crashes on start, or hangs on its port. */
export type TestImageVariant = "ok" | "no-readiness" | "crash" | "hang";

const sh = (cmd: string, opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
    execFileSync("bash", ["-c", cmd], { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...opts });

/**
 * Build and push a test app image as an index of the given architectures; returns
 * `<registry>/<name>@sha256:<digest>`. `variant` decides the app's behaviour.
 */
export function buildTestImage(
    lab: { dir: string; env: NodeJS.ProcessEnv; serveBinary: string },
    {
        name,
        tag,
        variant,
        version,
        archs,
        labels,
    }: {
        name: string;
        tag: string;
        variant: TestImageVariant;
        version: string;
        archs: string[];
        labels: Record<string, string>;
    },
): string {
    const root = path.join(lab.dir, "images", `${name}-${tag}`);
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    fs.mkdirSync(path.join(root, "www"), { recursive: true });
    fs.copyFileSync("/bin/busybox", path.join(root, "bin", "busybox"));
    for (const a of ["sh", "sleep", "cat", "wget", "kill", "rm", "nc"])
        fs.symlinkSync("busybox", path.join(root, "bin", a));
    fs.copyFileSync(lab.serveBinary, path.join(root, "bin", "serve")); // keeps gcc's 0755
    for (const p of ["liveness", "health", "version"])
        fs.writeFileSync(path.join(root, "www", p), `ok ${version}\n`);
    if (variant !== "no-readiness")
        fs.writeFileSync(path.join(root, "www", "readiness"), `ready ${version}\n`);
    // PID 1 traps TERM (or every stop waits 10 s) and refuses to start without its env.
    fs.writeFileSync(
        path.join(root, "start"),
        [
            "#!/bin/sh",
            variant === "crash" ? 'echo "boom: the app crashed on start" >&2; exit 1' : "",
            '[ -n "${DATABASE_URL:-}" ] || { echo "DATABASE_URL is not set: refusing to start" >&2; exit 1; }',
            `echo "app ${version} starting on :8080"`,
            // hang: port 8080 accepts connections (the kernel completes the handshake) and
            // never answers, like an app stuck in its startup; every probe waits its timeout.
            variant === "hang"
                ? "while :; do sleep 100000 | nc -l -p 8080 >/dev/null; done &"
                : "serve 8080 /www &",
            "pid=$!",
            "trap 'kill \"$pid\"; exit 0' TERM INT",
            'wait "$pid"',
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    sh(`tar -C ${root} -cf ${root}.tar .`);
    const list = `${REGISTRY}/${name}:${tag}`;
    const e = lab.env;
    sh(`podman manifest rm ${list} >/dev/null 2>&1 || true; podman manifest create ${list} >/dev/null`, {
        env: e,
    });
    for (const a of archs) {
        sh(
            `podman import --arch ${a} --change 'CMD ["/start"]' ${Object.entries(labels)
                // podman import keeps a quoted LABEL value's quotes and backslashes: pass it bare.
                .map(([k, v]) => {
                    if (/[\s']/.test(v)) throw new Error(`lab image label ${k}: no spaces or quotes`);
                    return `--change 'LABEL ${k}=${v}'`;
                })
                .join(
                    " ",
                )} ${root}.tar ${list}-${a} >/dev/null && podman manifest add ${list} containers-storage:${list}-${a} >/dev/null`,
            { env: e },
        );
    }
    sh(
        `podman manifest push --all --format v2s2 --digestfile ${root}.digest ${list} docker://${list} >/dev/null 2>&1`,
        { env: e },
    );
    // The "VM" shares this storage: drop the build's local images so the host holds only what a
    // deploy pulls (as a real VM would; image pruning is tested on that).
    sh(
        `podman manifest rm ${list} >/dev/null 2>&1; podman rmi ${archs.map((a) => `${list}-${a}`).join(" ")} >/dev/null 2>&1 || true`,
        { env: e },
    );
    return `${REGISTRY}/${name}@${fs.readFileSync(`${root}.digest`, "utf8").trim()}`;
}

/** Whether this machine can run the lab (the packages .ci/run installs). */
export function labAvailable(): string | undefined {
    if (process.getuid?.() !== 0) return "not root: the lab runs sshd and rootful podman";
    const install =
        "apt-get install openssh-server podman podman-docker nginx-light docker-registry skopeo wrk apache2-utils busybox-static gcc libc6-dev";
    for (const bin of [
        "/usr/sbin/sshd",
        "/usr/bin/podman",
        "/usr/bin/docker-registry",
        "/usr/sbin/nginx",
        "/usr/bin/wrk",
        "/usr/bin/skopeo",
        "/bin/busybox",
        "/usr/bin/htpasswd",
        "/usr/bin/gcc",
    ]) {
        if (!fs.existsSync(bin)) return `${bin} is missing (${install})`;
    }
    if (!staticLibcPresent()) return `libc.a is missing, serve.c cannot be linked statically (${install})`;
    return undefined;
}

/** libc.a lives under the multiarch directory of whatever machine this is. */
function staticLibcPresent(): boolean {
    const r = spawnSync("gcc", ["-print-file-name=libc.a"], { encoding: "utf8" });
    return r.status === 0 && path.isAbsolute(r.stdout.trim()) && fs.existsSync(r.stdout.trim());
}
