/**
 * `npm run bench:vm`: on the loopback lab (test/vm/lab.ts), a deploy of a new digest and then a
 * rollback, both under wrk load (64 connections unless BENCH_CONNECTIONS), through the exact
 * command lines the component builds. Ends with one JSON line: {"requests","failed","switchMs","rollbackMs"}.
 * - switchMs: from the new color turning ready (the script's HEALTHY_AT) until nginx serves it
 *   (its SWITCHED_AT, after `nginx -t` and the reload).
 * - rollbackMs: from starting the rollback command (ssh included) until the front door answers
 *   with the old version (probes every 25 ms, not waiting for each other); inside the bake (vm.bakeSeconds, default 900), when
 *   the old color still runs. The rollback after the bake (a `podman start` first) is printed on
 *   stderr as rollbackColdMs.
 * The app container gets 1 CPU (BENCH_CPUS), production's default limit (components/config/sizes.ts). The app is the lab's
 * test/vm/app/serve.c: one process, a poll() loop and an accept queue of SOMAXCONN, like a real API
 * server. A server that forks per request with a short accept queue gives wrk timeouts with or
 * without a deploy; the control run below tells such failures apart from the deploy's.
 * BENCH_CONNECTIONS (default 64) and BENCH_SECONDS (default 40) size the load.
 * Targets: >= 10,000 requests with 0 failed at 64 and 256 connections; switch <= 250 ms;
 * rollback <= 500 ms inside the bake and <= 1,500 ms after it, over the SSH connection that
 * `npm run rollback` opens with its `status` call (the handshake is not in the figure).
 * A benchmark, not a test. Needs the lab's packages and root, like test/vm.
 */
import { spawn } from "node:child_process";
import { Lab, labAvailable, NGINX_LISTEN } from "../test/vm/lab";
import {
    deployCommand,
    envFileContent,
    hostPaths,
    prepareCommand,
    rollbackCommand,
    statusCommand,
    type DeployOptions,
} from "../components/vm/commands";

/** A positive integer from the environment, or a clear error naming the variable. */
function positiveInt(name: string, fallback: number): number {
    const raw = process.env[name];
    if (raw === undefined || raw === "") return fallback;
    if (!/^[1-9]\d*$/.test(raw))
        throw new Error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
    return Number(raw);
}

async function main() {
    const seconds = positiveInt("BENCH_SECONDS", 40);
    const connections = positiveInt("BENCH_CONNECTIONS", 64);
    const cpus = process.env.BENCH_CPUS || "1";
    if (!/^\d+(\.\d+)?$/.test(cpus) || Number(cpus) <= 0)
        throw new Error(`BENCH_CPUS must be a positive number of CPUs, not ${JSON.stringify(cpus)}`);
    const missing = labAvailable();
    if (missing) throw new Error(`bench:vm needs the lab: ${missing}`);
    const lab = new Lab();
    try {
        lab.start();
        const v1 = lab.image("bench", "v1", "ok", "v1");
        const v2 = lab.image("bench", "v2", "ok", "v2");
        const p = hostPaths("bench", lab.hostRoot);
        lab.ssh(prepareCommand(p));
        lab.installScript(p);
        lab.copy(envFileContent({ DATABASE_URL: "postgresql://app:bench@db:5432/app" }), p.envFile, "0600");
        const o: DeployOptions = {
            service: "bench",
            image: v1,
            imagePlatforms: ["linux/amd64", "linux/arm64"],
            arch: "amd64",
            runtime: "podman",
            port: 8080,
            subnet: process.env.BENCH_SUBNET ?? "10.213.9.0/24",
            readinessPath: "/readiness",
            livenessPath: "/liveness",
            healthPath: "/health",
            memory: "256m",
            cpus,
            restart: "unless-stopped",
            drainSeconds: 3,
            bakeSeconds: 900,
            healthTimeoutSeconds: 30,
            keep: 2,
            lockTimeoutSeconds: 30,
            envPlain: [],
            envSecret: ["DATABASE_URL"],
            listen: NGINX_LISTEN,
            serverName: "_",
            stateDir: lab.stateDir,
            nginxConf: lab.nginxConf,
            nginxDir: lab.nginxDir,
        };
        const first = lab.ssh(deployCommand(p, o));
        if (first.code !== 0) throw new Error(first.stderr);

        // Control: the same load with no deploy, so failures that come from this box's saturation
        // are told apart from the deploy's. Reported on stderr and in docs/benchmarks.md.
        const control = await lab.load(seconds, connections);
        console.error(
            `control (no deploy, ${seconds}s): requests ${control.requests}, failed ${control.failed}`,
        );
        const loadStarted = Date.now();
        const load = lab.load(seconds, connections);
        await new Promise((r) => setTimeout(r, 2000));
        const deploy = lab.ssh(deployCommand(p, { ...o, image: v2 }));
        if (deploy.code !== 0) throw new Error(deploy.stderr);
        const t = /TIMING healthy_at=(\d+) switched_at=(\d+)/.exec(deploy.stdout);
        const switchMs = t ? Number(t[2]) - Number(t[1]) : NaN;
        await new Promise((r) => setTimeout(r, 2000));

        // Inside the bake (the default 900 s): the previous color still runs, the rollback is a switch.
        const warm = await timedRollback(lab, p, o);
        // After the bake (here: a deploy with bakeSeconds 0, which stops the old color after the
        // drain): the rollback starts the kept container first. Reported on stderr and in docs/benchmarks.md.
        await new Promise((r) => setTimeout(r, 1000));
        const again = lab.ssh(deployCommand(p, { ...o, image: v2, bakeSeconds: 0 }));
        if (again.code !== 0) throw new Error(again.stderr);
        const cold = await timedRollback(lab, p, o);
        // Every step must fall inside the measured load, or its failures would go uncounted.
        const used = Date.now() - loadStarted;
        if (used > seconds * 1000)
            throw new Error(
                `the deploy and both rollbacks took ${used} ms, longer than the ${seconds} s load: raise BENCH_SECONDS`,
            );
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
async function timedRollback(
    lab: Lab,
    p: ReturnType<typeof hostPaths>,
    o: DeployOptions,
): Promise<{ ms: number; detail: string }> {
    // As npm run rollback does (scripts/rollback.ts): one master connection per host, opened by
    // its `status` call, and the rollback sent over it, so the figure has no SSH handshake.
    const mux = [
        "-o",
        "ControlMaster=auto",
        "-o",
        `ControlPath=${lab.dir}/mux-%C`,
        "-o",
        "ControlPersist=60",
    ];
    const st = await lab.sshAsync(statusCommand(p, o), { sshOptions: mux }).done;
    if (!/^STATUS /m.test(st.stdout)) throw new Error(`status before the rollback: ${st.stdout}${st.stderr}`);
    const started = Date.now();
    const rollback = lab.sshAsync(rollbackCommand(p, o), { sshOptions: mux });
    let ms = NaN,
        inFlight = 0;
    while (Number.isNaN(ms) && Date.now() - started < 30_000) {
        if (inFlight < 20) {
            inFlight++;
            const probe = spawn("wget", ["-q", "-O", "-", "-T", "10", `http://${NGINX_LISTEN}/version`], {
                stdio: ["ignore", "pipe", "ignore"],
            });
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
    return {
        ms,
        detail: `first v1 answer after ${ms} ms; ssh+script ${rb.ms} ms (with the drain of the version rolled back from); ${/TIMING .*/.exec(rb.stdout)?.[0]} (client started ${started})`,
    };
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
