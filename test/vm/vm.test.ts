/**
 * The VM target for real, on loopback: the exact command strings components/vm/commands.ts
 * builds, run over SSH against sshd + podman + nginx + a registry on 127.0.0.1 (see lab.ts).
 * Scenarios in order: first deploy, a new digest under load, failing readiness, a crash loop, an
 * architecture mismatch, a denied registry login, a concurrent deploy, an SSH client killed
 * mid-deploy and the recovering deploy, rollback, an idempotent re-run, the `docker` runtime name,
 * status, and the watchdog.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertCited } from "./cited";
import { installService } from "./vm-service-install";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    Lab,
    labAvailable,
    REGISTRY,
    REGISTRY_USER,
    REGISTRY_PASSWORD,
    HOOK_PORT,
    NGINX_LISTEN,
} from "./lab";
import {
    deployCommand,
    parseActive,
    rollbackCommand,
    statusCommand,
    watchdogCheckCommand,
    type DeployOptions,
    type HostPaths,
} from "../../components/vm/commands";

const skip = labAvailable();
let lab: Lab;
let paths: HostPaths;
let opts: DeployOptions;
const images: Record<string, string> = {};

const install = (service: string, runtime: "podman" | "docker", subnet: string) =>
    installService(lab, service, runtime, subnet);
const deploy = (
    image: string,
    extra: Partial<DeployOptions> = {},
    env: Record<string, string> = {},
    input?: string,
) => lab.ssh(deployCommand(paths, { ...opts, image, ...extra }), { env, input });
const serving = () => lab.get("/version").body;
const containers = () => lab.ssh(`podman ps -a --format '{{.Names}} {{.ID}}' | sort`).stdout.trim();
const stateOf = (name: string) =>
    lab.ssh(`podman inspect -f '{{.State.Status}}' ${name} 2>/dev/null || echo missing`).stdout.trim();

before(() => {
    if (skip) return;
    lab = new Lab();
    lab.start();
    images.v1 = lab.image("app", "v1", "ok", "v1");
    images.v2 = lab.image("app", "v2", "ok", "v2");
    images.noready = lab.image("app", "noready", "no-readiness", "v3-broken");
    images.crash = lab.image("app", "crash", "crash", "v4-crash");
    images.amd64only = lab.image("app", "amd64-only", "ok", "v5-amd64", ["amd64"]);
    ({ p: paths, o: opts } = install("app", "podman", "10.213.1.0/24"));
    // nginx must listen on loopback only: the site's listen comes from this option.
    opts.listen = 8088;
});

after(() => lab?.stop());

test("first deploy: the new color turns ready, nginx serves it, state and audit are written", {
    skip,
}, () => {
    const r = deploy(images.v1, { listen: NGINX_LISTEN });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseActive(r.stdout), {
        color: "blue",
        digest: images.v1.split("@")[1],
        changed: true,
    });
    assert.match(serving(), /ok v1/);
    assert.match(
        fs.readFileSync(path.join(lab.stateDir, "app", "state"), "utf8"),
        new RegExp(`^color=blue\ndigest=${images.v1.split("@")[1]}`),
    );
    assert.match(
        fs.readFileSync(path.join(lab.stateDir, "app", "audit.log"), "utf8"),
        /deploy ok color=blue image=/,
    );
    const envMode = lab.ssh(`stat -c %a '${paths.envFile}'`).stdout.trim();
    assert.equal(envMode, "600");
    assert.ok(
        !r.stdout.includes("lab-db-password") && !r.stderr.includes("lab-db-password"),
        "no secret in the output",
    );
});

test("a new digest under load: the switch loses no request, the old color is kept stopped", {
    skip,
}, async () => {
    const load = lab.load(8);
    await new Promise((r) => setTimeout(r, 1000));
    const r = deploy(images.v2, { listen: NGINX_LISTEN });
    const l = await load;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseActive(r.stdout)?.color, "green");
    assert.match(serving(), /ok v2/);
    assert.ok(l.requests > 300, `${l.requests} requests`);
    assert.equal(l.failed, 0, l.raw);
    assert.equal(stateOf("app-blue"), "exited");
    assert.equal(stateOf("app-green"), "running");
});

test("failing readiness: the deploy fails with the log tail, the old version serves, no request fails", {
    skip,
}, async () => {
    const load = lab.load(4);
    const r = deploy(images.noready, { listen: NGINX_LISTEN, healthTimeoutSeconds: 3 });
    const l = await load;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /was not ready on \/readiness within 3s/);
    assertCited(r.stderr, "SD-018", /the new version did not become ready.*deploy again/);
    assert.match(r.stderr, /last 50 lines of app-blue:\n {4}\| app v3-broken starting on :8080/);
    assert.match(r.stderr, /the previous version keeps serving/);
    assert.match(serving(), /ok v2/);
    assert.equal(l.failed, 0, l.raw);
    // The failed container is gone; app-blue is the kept previous version again (v1), for rollback.
    assert.doesNotMatch(containers(), /app-blue-kept/);
    assert.equal(
        lab.ssh(`podman inspect -f '{{index .Config.Labels "service-deploy.image"}}' app-blue`).stdout.trim(),
        images.v1,
        "the rollback target survived the failed deploy",
    );
    assert.match(r.stderr, /the previous app-blue is back for rollback/);
});

test("a crash-looping container is refused and removed; the old version serves", { skip }, () => {
    const r = deploy(images.crash, { listen: NGINX_LISTEN, healthTimeoutSeconds: 20 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /crash-looping|was not ready/);
    assertCited(
        r.stderr,
        "SD-018",
        /the new version did not become ready.*the previous version keeps serving/,
    );
    assert.match(r.stderr, /boom: the app crashed on start/);
    assert.match(serving(), /ok v2/);
});

test("an architecture mismatch is refused before anything changes (SD-002: no matching manifest for linux/arm64/v8)", {
    skip,
}, () => {
    const before = containers();
    const r = deploy(
        images.amd64only,
        { listen: NGINX_LISTEN, arch: "arm64" },
        { SERVICE_DEPLOY_HOST_ARCH: "arm64" },
    );
    assert.notEqual(r.code, 0);
    assert.match(
        r.stderr,
        /image 127\.0\.0\.1:5000\/app@sha256:[0-9a-f]{64} has no linux\/arm64 manifest \(it holds: amd64 \); this host is arm64/,
    );
    assert.match(r.stderr, /Nothing was changed/);
    assertCited(
        r.stderr,
        "SD-002",
        /has no linux\/arm64 manifest.*Rebuild with --platform linux\/amd64,linux\/arm64/,
    );
    assert.equal(containers(), before);
    assert.match(serving(), /ok v2/);
    const declared = deploy(images.v1, { listen: NGINX_LISTEN, arch: "arm64" });
    assert.match(
        declared.stderr,
        /this host is amd64 but the service is declared arm64: set services\[\]\.architecture of app to amd64 in the stack config/,
    );
    assert.doesNotMatch(declared.stderr, /vm\.architecture/, "no key that does not exist");
    assertCited(
        declared.stderr,
        "SD-003",
        /this host is amd64 but the service is declared arm64.*Nothing was changed/,
    );
});

test("a denied registry login says it is an authentication problem and which registry refused", {
    skip,
}, () => {
    const r = deploy(
        images.v1,
        { listen: NGINX_LISTEN, registryUser: REGISTRY_USER, registry: REGISTRY },
        {},
        "wrong-password",
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /registry authentication failed: 127\.0\.0\.1:5000 refused user deployer/);
    assertCited(r.stderr, "SD-017", /refused user deployer.*Check the registry credentials/);
    assert.ok(!r.stderr.includes("wrong-password"));
    assert.match(serving(), /ok v2/);
    const ok = deploy(
        images.v2,
        { listen: NGINX_LISTEN, registryUser: REGISTRY_USER, registry: REGISTRY },
        {},
        REGISTRY_PASSWORD,
    );
    assert.equal(ok.code, 0, ok.stderr);
});

test("a concurrent deploy waits for the lock, then fails naming who holds it and since when", {
    skip,
}, async () => {
    const first = lab.sshAsync(
        deployCommand(paths, { ...opts, image: images.v1, listen: NGINX_LISTEN, drainSeconds: 4 }),
    );
    await new Promise((r) => setTimeout(r, 600));
    const second = deploy(images.v1, { listen: NGINX_LISTEN, lockTimeoutSeconds: 1 });
    const r1 = await first.done;
    assert.equal(r1.code, 0, r1.stderr);
    assert.notEqual(second.code, 0);
    assert.match(
        second.stderr,
        /another deploy of app holds the lock: pid=\d+ host=\S+ user=root since=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ action=deploy/,
    );
    assertCited(second.stderr, "SD-022", /holds the lock: pid=.*Wait for it to finish/);
    assert.match(serving(), /ok v1/);
});

test("an SSH client killed mid-deploy leaves a color serving; the next deploy recovers", {
    skip,
}, async () => {
    const cut = lab.sshAsync(
        deployCommand(paths, { ...opts, image: images.v2, listen: NGINX_LISTEN, drainSeconds: 3 }),
    );
    await new Promise((r) => setTimeout(r, 1200));
    cut.proc.kill("SIGKILL");
    // And the remote script dies too, abruptly (a dropped session or a reboot), holding its lock.
    lab.ssh(`pkill -9 -f 'service-deploy.sh deploy' || true`);
    await cut.done;
    const now = lab.get("/version");
    assert.equal(now.status, 200, "a color is serving");
    assert.match(now.body, /ok v[12]/);
    const again = deploy(images.v2, { listen: NGINX_LISTEN });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr + again.stdout, /taking over a stale lock|already active|nginx now sends/);
    assert.match(serving(), /ok v2/);
    const st = lab.ssh(statusCommand(paths, { ...opts, listen: NGINX_LISTEN }));
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(
        st.stdout,
        new RegExp(`STATUS service=app color=(blue|green) digest=${images.v2.split("@")[1]} health=healthy`),
    );
});

test("rollback switches back to the kept previous color without pulling", { skip }, () => {
    const before = serving();
    assert.match(before, /ok v2/);
    const r = lab.ssh(rollbackCommand(paths, { ...opts, listen: NGINX_LISTEN }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(serving(), /ok v1/);
    assert.doesNotMatch(r.stderr, /: pulling /);
    assert.match(fs.readFileSync(path.join(lab.stateDir, "app", "audit.log"), "utf8"), /rollback ok/);
});

test("re-running with the digest already active is a no-op that says so", { skip }, () => {
    const r = deploy(images.v1, { listen: NGINX_LISTEN });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseActive(r.stdout)?.changed, false);
    assert.match(r.stderr, /is already active on (blue|green) and healthy; nothing to do/);
});

test("the docker runtime name works too (podman-docker's docker)", { skip }, () => {
    const { p, o } = install("app2", "docker", "10.213.2.0/24");
    const r = lab.ssh(
        deployCommand(p, { ...o, image: images.v1, listen: "127.0.0.1:8089", serverName: "app2" }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(lab.ssh("docker ps --format '{{.Names}}'").stdout, /app2-blue/);
    assert.match(lab.ssh("wget -qO- http://127.0.0.1:8089/version").stdout, /ok v1/);
});

test("the watchdog restarts the active container after 3 failed checks and posts to the webhook", {
    skip,
}, () => {
    lab.copy(`http://127.0.0.1:${HOOK_PORT}/cgi-bin/hook`, paths.webhookFile, "0600");
    const active = /color=(blue|green)/.exec(
        fs.readFileSync(path.join(lab.stateDir, "app", "state"), "utf8"),
    )![1];
    const check = () =>
        lab.ssh(watchdogCheckCommand(paths, { ...opts, listen: NGINX_LISTEN, healthPath: "/health" }));
    assert.match(check().stdout, /WATCHDOG service=app healthy/);
    assert.equal(lab.ssh(`podman exec app-${active} rm /www/health`).code, 0);
    assert.match(check().stdout, /failures=1/);
    assert.match(check().stdout, /failures=2/);
    const third = check();
    assert.match(third.stdout, new RegExp(`WATCHDOG service=app restarted=${active}`));
    assert.match(
        fs.readFileSync(lab.hooksLog, "utf8"),
        /"text":"RESTARTED app-(blue|green) \(environment unknown, vm\) on .* after 3 failed \/health checks at \d\d:\d\d UTC; running /,
    );
    assert.match(fs.readFileSync(path.join(lab.stateDir, "app", "audit.log"), "utf8"), /watchdog restart/);
});

test("bake: the previous color keeps running; a rollback inside the bake is a switch, with no container start", {
    skip,
}, () => {
    const r = deploy(images.v2, { listen: NGINX_LISTEN, bakeSeconds: 300 });
    assert.equal(r.code, 0, r.stderr);
    const now = parseActive(r.stdout)!.color,
        prev = now === "blue" ? "green" : "blue";
    assert.match(r.stderr, new RegExp(`app-${prev} keeps running through the 300s bake`));
    assert.doesNotMatch(r.stderr, /draining/, "nothing to drain: the old color keeps running");
    assert.equal(stateOf(`app-${prev}`), "running");
    assert.match(
        lab.ssh(statusCommand(paths, { ...opts, listen: NGINX_LISTEN })).stdout,
        new RegExp(`previous=${prev}:running retire_at=\\d+`),
    );
    const started = lab.ssh(`podman inspect -f '{{.State.StartedAt}}' app-${prev}`).stdout;
    const rb = lab.ssh(rollbackCommand(paths, { ...opts, listen: NGINX_LISTEN, drainSeconds: 1 }));
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stderr, /still running from its bake, switching only/);
    assert.match(serving(), /ok v1/);
    assert.equal(
        lab.ssh(`podman inspect -f '{{.State.StartedAt}}' app-${prev}`).stdout,
        started,
        "the container was not restarted",
    );
    assert.equal(stateOf(`app-${now}`), "exited", "the version rolled back from does not bake");
});

test("bake: when it ends the watchdog stops the previous color (kept), and a rollback then starts it", {
    skip,
}, async () => {
    const r = deploy(images.v2, { listen: NGINX_LISTEN, bakeSeconds: 1 });
    assert.equal(r.code, 0, r.stderr);
    const prev = parseActive(r.stdout)!.color === "blue" ? "green" : "blue";
    assert.equal(stateOf(`app-${prev}`), "running");
    await new Promise((res) => setTimeout(res, 1500));
    const check = lab.ssh(
        watchdogCheckCommand(paths, { ...opts, listen: NGINX_LISTEN, healthPath: "/health" }),
    );
    assert.match(check.stderr, new RegExp(`the bake of app-${prev} ended: stopping it`));
    assert.equal(stateOf(`app-${prev}`), "exited");
    assert.match(
        fs.readFileSync(path.join(lab.stateDir, "app", "audit.log"), "utf8"),
        new RegExp(`retire color=${prev}`),
    );
    const rb = lab.ssh(rollbackCommand(paths, { ...opts, listen: NGINX_LISTEN, drainSeconds: 1 }));
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stderr, /without pulling: starting it/);
    assert.match(serving(), /ok v1/);
});

test("keepVersions: images older than the active one and `keep` previous ones are removed", { skip }, () => {
    const refs = ["k1", "k2", "k3"].map((v) => lab.image("keep", v, "ok", v));
    const { p, o } = install("app3", "podman", "10.213.3.0/24");
    const run = (image: string) =>
        lab.ssh(
            deployCommand(p, {
                ...o,
                image,
                keep: 1,
                drainSeconds: 0,
                listen: "127.0.0.1:8090",
                serverName: "app3",
            }),
        );
    for (const ref of refs.slice(0, 2)) assert.equal(run(ref).code, 0);
    const exists = (ref: string) => lab.ssh(`podman image exists '${ref}'`).code === 0;
    assert.ok(refs.slice(0, 2).every(exists), "two versions, keep 1: nothing pruned");
    const third = run(refs[2]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(
        third.stderr,
        new RegExp(`removed the image ${refs[0].replace(/[.]/g, "\\.")} \\(keeping 1 previous versions\\)`),
    );
    assert.deepEqual(refs.map(exists), [false, true, true]);
    assert.equal(
        fs.readFileSync(path.join(lab.stateDir, "app3", "images"), "utf8"),
        `${refs[1]}\n${refs[2]}\n`,
    );
});
