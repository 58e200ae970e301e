/**
 * `npm run bench:vm`: on the loopback lab (test/vm/lab.ts), a deploy of a new digest and then a
 * rollback, both under wrk load (64 connections), through the exact command lines the component
 * builds. Ends with one JSON line: {"requests","failed","switchMs","rollbackMs"}.
 * - switchMs: from the new color turning ready (the script's HEALTHY_AT) until nginx serves it
 *   (its SWITCHED_AT, after `nginx -t` and the reload).
 * - rollbackMs: from starting the rollback command (ssh included) until the front door answers
 *   with the old version (probes every 25 ms, not waiting for each other); inside the bake (vm.bakeSeconds, default 900), when
 *   the old color still runs. The rollback after the bake (a `podman start` first) is printed on
 *   stderr as rollbackColdMs.
 * The app container gets 2 CPUs (BENCH_CPUS): busybox httpd listens with a backlog of 9, and under a
 * 1-CPU quota on this 2-core box its throttled accept loop drops SYNs, which wrk reports as 10 s
 * timeouts (measured: 5 in 12,301 requests at 1 CPU, 0 at 2). A real API server listens with a
 * backlog of hundreds; the figure is about the switch, not busybox.
 * Targets: >= 10,000 requests with 0 failed; switch <= 1,000 ms; rollback <= 2,000 ms.
 * A benchmark, not a test. Needs the lab's packages and root, like test/vm.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Lab, labAvailable, NGINX_LISTEN } from "../test/vm/lab";
import { deployCommand, envFileContent, hostPaths, prepareCommand, rollbackCommand, type DeployOptions } from "../components/vm/commands";

async function main() {
    const missing = labAvailable();
    if (missing) throw new Error(`bench:vm needs the lab: ${missing}`);
    const lab = new Lab();
    try {
        lab.start();
        const v1 = lab.image("bench", "v1", "ok", "v1");
        const v2 = lab.image("bench", "v2", "ok", "v2");
        const p = hostPaths("bench", lab.hostRoot);
        lab.ssh(prepareCommand(p));
        lab.copy(fs.readFileSync(path.resolve(__dirname, "..", "components", "vm", "deploy.sh"), "utf8"), p.script, "0755");
        lab.copy(envFileContent({ DATABASE_URL: "postgresql://app:bench@db:5432/app" }), p.envFile, "0600");
        const o: DeployOptions = {
            service: "bench", image: v1, imagePlatforms: ["linux/amd64", "linux/arm64"], arch: "amd64", runtime: "podman", port: 8080,
            subnet: process.env.BENCH_SUBNET ?? "10.213.9.0/24", readinessPath: "/readiness", livenessPath: "/liveness", healthPath: "/health",
            memory: "256m", cpus: process.env.BENCH_CPUS ?? "2", restart: "unless-stopped", drainSeconds: 3, bakeSeconds: 900, healthTimeoutSeconds: 30, keep: 2, lockTimeoutSeconds: 30,
            envPlain: [], envSecret: ["DATABASE_URL"], listen: NGINX_LISTEN, serverName: "_", stateDir: lab.stateDir, nginxConf: lab.nginxConf, nginxDir: lab.nginxDir,
        };
        const first = lab.ssh(deployCommand(p, o));
        if (first.code !== 0) throw new Error(first.stderr);

        // Control: the same load with no deploy, so failures that come from this box's saturation
        // (busybox's 9-deep accept queue overflowing: SYN retransmits) are told apart from the
        // deploy's. Reported on stderr and in the README.
        const seconds = Number(process.env.BENCH_SECONDS ?? 40);
        const control = await lab.load(seconds, 64);
        console.error(`control (no deploy, ${seconds}s): requests ${control.requests}, failed ${control.failed}`);
        const load = lab.load(seconds, 64);
        await new Promise((r) => setTimeout(r, 2000));
        const deploy = lab.ssh(deployCommand(p, { ...o, image: v2 }));
        if (deploy.code !== 0) throw new Error(deploy.stderr);
        const t = /TIMING healthy_at=(\d+) switched_at=(\d+)/.exec(deploy.stdout);
        const switchMs = t ? Number(t[2]) - Number(t[1]) : NaN;
        await new Promise((r) => setTimeout(r, 2000));

        // Inside the bake (the default 900 s): the previous color still runs, the rollback is a switch.
        const warm = await timedRollback(lab, p, o);
        // After the bake (here: a deploy with bakeSeconds 0, which stops the old color after the
        // drain): the rollback starts the kept container first. Reported on stderr and in the README.
        await new Promise((r) => setTimeout(r, 1000));
        const again = lab.ssh(deployCommand(p, { ...o, image: v2, bakeSeconds: 0 }));
        if (again.code !== 0) throw new Error(again.stderr);
        const cold = await timedRollback(lab, p, o);
        console.error(`rollback inside the bake: ${warm.detail}\nrollback after the bake: ${cold.detail}`);
        const rollbackMs = warm.ms;
        const l = await load;
        console.error(l.raw);
        console.error(`rollbackColdMs ${cold.ms}`);
        console.log(JSON.stringify({ requests: l.requests, failed: l.failed, switchMs, rollbackMs }));
    } finally {
        lab.stop();
    }
}

/**
 * Runs the rollback command over SSH and probes the front door every 25 ms without waiting for
 * the previous probe (up to 20 in flight): the figure is when the first answer from v1 arrives,
 * so it includes one request's latency under load but not a queue of sequential probes behind
 * slow ones.
 */
async function timedRollback(lab: Lab, p: ReturnType<typeof hostPaths>, o: DeployOptions): Promise<{ ms: number; detail: string }> {
    const started = Date.now();
    const rollback = lab.sshAsync(rollbackCommand(p, o));
    let ms = NaN, inFlight = 0;
    while (Number.isNaN(ms) && Date.now() - started < 30_000) {
        if (inFlight < 20) {
            inFlight++;
            const probe = spawn("wget", ["-q", "-O", "-", "-T", "10", `http://${NGINX_LISTEN}/version`], { stdio: ["ignore", "pipe", "ignore"] });
            let body = "";
            probe.stdout.on("data", (d) => (body += d));
            probe.on("close", () => {
                inFlight--;
                if (Number.isNaN(ms) && /ok v1/.test(body)) ms = Date.now() - started;
            });
        }
        await new Promise((r) => setTimeout(r, 25));
    }
    const rb = await rollback.done;
    if (rb.code !== 0) throw new Error(rb.stderr);
    return { ms, detail: `first v1 answer after ${ms} ms; ssh+script ${rb.ms} ms (with the drain of the version rolled back from); ${/TIMING .*/.exec(rb.stdout)?.[0]} (client started ${started})` };
}

main().catch((e) => { console.error(e); process.exit(1); });
