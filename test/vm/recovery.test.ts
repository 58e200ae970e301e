/**
 * The VM target's failures on a real VM, reproduced on the loopback lab (lab.ts), each with the
 * exact lines commands.ts builds: a switch interrupted between the upstream file and nginx's
 * reload, the installed watchdog against a TLS site, the watchdog when nginx answers slowly, the
 * active container dying during the bake, a failed deploy during the bake followed by a rollback,
 * and a readiness that never comes. Each service has its own network and nginx port.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertCited } from "./cited";
import * as fs from "node:fs";
import * as path from "node:path";
import { Lab, labAvailable } from "./lab";
import {
    deployCommand,
    envFileContent,
    hostPaths,
    parseActive,
    prepareCommand,
    removeCommand,
    rollbackCommand,
    statusCommand,
    watchdogCheckCommand,
    watchdogInstallCommand,
    type DeployOptions,
    type HostPaths,
} from "../../components/vm/commands";

const skip = labAvailable();
let lab: Lab;
const images: Record<string, string> = {};

interface Svc {
    p: HostPaths;
    o: DeployOptions;
    url: string;
}

/** A service of its own on the lab: script, env file, options. */
function install(
    service: string,
    subnetIndex: number,
    port: number,
    extra: Partial<DeployOptions> = {},
): Svc {
    const p = hostPaths(service, lab.hostRoot);
    assert.equal(lab.ssh(prepareCommand(p)).code, 0);
    lab.installScript(p);
    lab.copy(
        envFileContent({ APP_ENV: "staging", DATABASE_URL: "postgresql://app:pw@db.internal:5432/app" }),
        p.envFile,
        "0600",
    );
    const o: DeployOptions = {
        service,
        image: "",
        imagePlatforms: ["linux/amd64", "linux/arm64"],
        arch: "amd64",
        runtime: "podman",
        port: 8080,
        subnet: `10.213.${subnetIndex}.0/24`,
        readinessPath: "/readiness",
        livenessPath: "/liveness",
        healthPath: "/health",
        memory: "256m",
        cpus: "0.5",
        restart: "unless-stopped",
        drainSeconds: 1,
        healthTimeoutSeconds: 15,
        keep: 2,
        lockTimeoutSeconds: 2,
        envPlain: ["APP_ENV"],
        envSecret: ["DATABASE_URL"],
        listen: `127.0.0.1:${port}`,
        serverName: "_",
        stateDir: lab.stateDir,
        nginxConf: lab.nginxConf,
        nginxDir: lab.nginxDir,
        ...extra,
    };
    return { p, o, url: `http://127.0.0.1:${port}` };
}

const deploy = (
    s: Svc,
    image: string,
    extra: Partial<DeployOptions> = {},
    env: Record<string, string> = {},
) => lab.ssh(deployCommand(s.p, { ...s.o, image, ...extra }), { env });
const stateOf = (name: string) =>
    lab.ssh(`podman inspect -f '{{.State.Status}}' ${name} 2>/dev/null || echo missing`).stdout.trim();
/** One GET through the front door: status, body and how long it took. */
function get(url: string, seconds = 10): { status: number; body: string; ms: number } {
    const r = lab.ssh(`curl -s -m ${seconds} -w '\\n%{http_code} %{time_total}' '${url}' || true`);
    const lines = r.stdout.trim().split("\n");
    const [code, secs] = (lines.pop() ?? "0 0").split(" ");
    return { status: Number(code), body: lines.join("\n"), ms: Math.round(Number(secs) * 1000) };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(() => {
    if (skip) return;
    lab = new Lab();
    lab.start();
    images.v1 = lab.image("rec", "v1", "ok", "v1");
    images.v2 = lab.image("rec", "v2", "ok", "v2");
    images.noready = lab.image("rec", "noready", "no-readiness", "v3-broken");
    images.hang = lab.image("rec", "hang", "hang", "v4-hang");
});

after(() => {
    if (!lab) return;
    lab.ssh(`crontab -l 2>/dev/null | grep -v '# service-deploy-' | crontab - || true`);
    lab.stop();
});

test("a switch cut between the upstream file and nginx's reload: the re-run reloads nginx, stops nothing that serves, and status probes the front door", {
    skip,
}, async () => {
    const s = install("cut", 21, 8091);
    assert.equal(deploy(s, images.v1).code, 0);
    // An nginx whose reload hangs once a marker exists: the deploy is killed right there, after
    // the upstream file names the new color and before nginx has loaded it.
    const wrap = path.join(lab.dir, "hold-reload");
    fs.mkdirSync(wrap, { recursive: true });
    fs.writeFileSync(
        path.join(wrap, "nginx"),
        `#!/bin/sh\ncase " $* " in *" -s reload "*) [ -e ${wrap}/hold ] && sleep 60 ;; esac\nexec /usr/sbin/nginx "$@"\n`,
        { mode: 0o755 },
    );
    fs.writeFileSync(path.join(wrap, "hold"), "");
    const cut = lab.sshAsync(
        `export PATH=${wrap}:$PATH; ${deployCommand(s.p, { ...s.o, image: images.v2, bakeSeconds: 0 })}`,
    );
    const upstream = path.join(lab.nginxDir, "cut-upstream.conf");
    const until = Date.now() + 60_000;
    while (!/color=green/.test(fs.readFileSync(upstream, "utf8")) && Date.now() < until) await sleep(100);
    assert.match(fs.readFileSync(upstream, "utf8"), /color=green/, "the deploy reached the switch");
    cut.proc.kill("SIGKILL");
    lab.ssh(`pkill -9 -f 'service-deploy.sh deploy --service=cut' ; pkill -9 -f 'hold-reload/nginx' ; true`);
    await cut.done;
    fs.rmSync(path.join(wrap, "hold"));
    assert.match(get(`${s.url}/version`).body, /ok v1/, "nginx still serves blue: it never reloaded");

    const again = deploy(s, images.v2);
    assert.equal(again.code, 0, again.stderr);
    for (let i = 0; i < 5; i++) {
        const r = get(`${s.url}/version`);
        assert.equal(r.status, 200, `request ${i}: ${r.body}`);
        assert.match(r.body, /ok v2/);
        assert.ok(r.ms < 1000, `request ${i} took ${r.ms} ms`);
    }
    assert.equal(stateOf("cut-green"), "running", "the color nginx serves runs");
    const st = lab.ssh(statusCommand(s.p, s.o));
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /color=green .*health=healthy/);
    assert.match(st.stdout, /front_door=healthy/);
});

test("the installed watchdog probes the TLS site as the built check line does, and stays quiet while it is healthy", {
    skip,
}, () => {
    const cert = path.join(lab.dir, "tls.crt"),
        key = path.join(lab.dir, "tls.key");
    lab.ssh(
        `openssl req -x509 -newkey ed25519 -nodes -days 2 -subj /CN=tls.example.test -keyout ${key} -out ${cert} 2>/dev/null`,
    );
    const s = install("tls", 22, 8092, { tlsCert: cert, tlsKey: key, serverName: "tls.example.test" });
    assert.equal(deploy(s, images.v1).code, 0);
    const wd = { ...s.o, healthPath: "/health" };
    assert.match(lab.ssh(watchdogCheckCommand(s.p, wd)).stdout, /WATCHDOG service=tls healthy/);
    const inst = lab.ssh(watchdogInstallCommand(s.p, { ...wd, intervalSeconds: 60 }));
    assert.equal(inst.code, 0, inst.stderr);
    assert.match(inst.stdout, /WATCHDOG_INSTALLED service=tls via=cron/);
    const line = lab
        .ssh("crontab -l")
        .stdout.split("\n")
        .find((l) => l.endsWith("# service-deploy-tls"));
    assert.ok(line, "a cron entry for the service");
    // What cron runs: the line without its schedule and its output redirection.
    const installed = line
        .replace(/^(\S+\s+){5}/, "")
        .replace(/ >\/dev\/null 2>&1 # service-deploy-tls$/, "");
    for (let i = 0; i < 3; i++) {
        const r = lab.ssh(installed);
        assert.match(r.stdout, /WATCHDOG service=tls healthy/, `check ${i + 1}: ${r.stdout}${r.stderr}`);
    }
    assert.doesNotMatch(
        fs.readFileSync(path.join(lab.stateDir, "tls", "audit.log"), "utf8"),
        /watchdog restart/,
    );
});

test("the watchdog's check is bounded when nginx answers slowly, and two checks never overlap", {
    skip,
}, async () => {
    const s = install("slow", 23, 8093);
    assert.equal(deploy(s, images.v1).code, 0);
    const wd = { ...s.o, healthPath: "/health" };
    // A paused container: the kernel accepts the connection, nothing answers.
    assert.equal(lab.ssh("podman pause slow-blue").code, 0);
    try {
        const first = lab.sshAsync(watchdogCheckCommand(s.p, wd));
        await sleep(300);
        const second = lab.ssh(watchdogCheckCommand(s.p, wd), { timeoutMs: 30_000 });
        const one = await Promise.race([first.done, sleep(30_000).then(() => undefined)]);
        assert.ok(one, "the first check ended within 30 s");
        assert.ok(one.ms < 15_000, `the first check took ${one.ms} ms`);
        assert.match(one.stdout, /WATCHDOG service=slow failures=1/);
        assert.match(second.stdout, /WATCHDOG service=slow skipped: another check is running/);
        assert.equal(
            fs.readFileSync(path.join(lab.stateDir, "slow", "watchdog-failures"), "utf8").trim(),
            "1",
        );
    } finally {
        lab.ssh("pkill -f 'watchdog-check --service=slow' ; podman unpause slow-blue");
    }
});

test("during the bake the watchdog sees a dead active container, and the bake's end never stops the only serving color", {
    skip,
}, async () => {
    const s = install("bake", 24, 8094);
    assert.equal(deploy(s, images.v1).code, 0);
    const r = deploy(s, images.v2, { bakeSeconds: 2 });
    assert.equal(parseActive(r.stdout)?.color, "green", r.stderr);
    assert.equal(lab.ssh("podman stop -t 1 bake-green").code, 0);
    await sleep(2500);
    const check = lab.ssh(watchdogCheckCommand(s.p, { ...s.o, healthPath: "/health" }));
    assert.match(check.stdout, /WATCHDOG service=bake failures=1/, check.stdout + check.stderr);
    assert.equal(stateOf("bake-blue"), "running", "the previous color, which serves now, keeps running");
    // Through nginx's backup server, after the dead primary's connect fails (seconds, not a hang).
    assert.equal(get(`${s.url}/health`, 30).status, 200, "the front door answers");
});

test("a failed deploy during the bake keeps the rollback target: the rollback afterwards serves the previous version", {
    skip,
}, () => {
    const s = install("keep", 25, 8095);
    assert.equal(deploy(s, images.v1).code, 0);
    assert.equal(deploy(s, images.v2, { bakeSeconds: 300 }).code, 0);
    const failed = deploy(s, images.noready, { healthTimeoutSeconds: 3 });
    assert.notEqual(failed.code, 0);
    assert.match(get(`${s.url}/version`).body, /ok v2/);
    assert.match(lab.ssh(statusCommand(s.p, s.o)).stdout, /previous=blue:running/);
    const rb = lab.ssh(rollbackCommand(s.p, s.o));
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(get(`${s.url}/version`).body, /ok v1/);
    const images_ = lab.ssh(`podman image exists '${images.noready}'`);
    assert.notEqual(images_.code, 0, "the failed deploy's image was pruned");
});

test("a readiness that never comes fails within the timeout by the wall clock", { skip }, () => {
    const s = install("hang", 26, 8096);
    const r = lab.ssh(deployCommand(s.p, { ...s.o, image: images.hang, healthTimeoutSeconds: 4 }), {
        timeoutMs: 60_000,
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /was not ready on \/readiness within 4s/);
    assertCited(r.stderr, "SD-018", /the new version did not become ready/);
    const at = (re: RegExp) => {
        const m = new RegExp(`^(\\d\\d):(\\d\\d):(\\d\\d) .*${re.source}`, "m").exec(r.stderr);
        assert.ok(m, `${re} in ${r.stderr}`);
        return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    };
    const waited = at(/was not ready on/) - at(/waiting for \/readiness/);
    assert.ok(waited <= 5, `waited ${waited} s for a 4 s timeout`);
    lab.ssh(removeCommand(s.p, s.o));
});
