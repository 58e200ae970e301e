/** The VM target's command lines, as strings: what runs on the host, quoted, with no secret in it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    deployCommand,
    envFileContent,
    HOST_SCRIPT_PARTS,
    hostPaths,
    hostScriptFiles,
    parseActive,
    prepareCommand,
    removeCommand,
    rollbackCommand,
    sudoersFile,
    sq,
    statusCommand,
    watchdogCheckCommand,
    watchdogInstallCommand,
    type DeployOptions,
} from "../components/vm/commands";
import { batches, envVersion, serviceSubnet } from "../components/vm/vm-service";
import { vmFlags } from "../policies/lib";

const p = hostPaths("api");
const o: DeployOptions = {
    service: "api",
    image: `ghcr.io/acme/api@sha256:${"ab".repeat(32)}`,
    imagePlatforms: ["linux/arm64", "linux/amd64"],
    arch: "arm64",
    runtime: "podman",
    port: 8080,
    bluePort: 18000,
    greenPort: 18001,
    readinessPath: "/readiness",
    livenessPath: "/liveness",
    healthPath: "/health",
    memory: "512m",
    cpus: "0.5",
    restart: "unless-stopped",
    drainSeconds: 10,
    bakeSeconds: 900,
    healthTimeoutSeconds: 30,
    keep: 2,
    lockTimeoutSeconds: 120,
    envPlain: ["APP_ENV", "LOG_LEVEL"],
    envSecret: ["DATABASE_URL"],
    listen: 443,
    serverName: "api.example.com",
    tlsCert: "/etc/tls/fullchain.pem",
    tlsKey: "/etc/tls/privkey.pem",
    registryUser: "ci",
    registry: "ghcr.io",
    envVersion: "0123456789abcdef",
};

test("paths and the prepare line: a 0700 secrets directory before anything is copied", () => {
    assert.deepEqual(p, {
        dir: "/opt/service-deploy/api",
        script: "/opt/service-deploy/api/service-deploy.sh",
        partsDir: "/opt/service-deploy/api/host",
        secretsDir: "/opt/service-deploy/api/secrets",
        envFile: "/opt/service-deploy/api/secrets/env",
        webhookFile: "/opt/service-deploy/api/secrets/webhook",
    });
    assert.equal(
        prepareCommand(p),
        "umask 077 && mkdir -p '/opt/service-deploy/api' '/opt/service-deploy/api/host' '/opt/service-deploy/api/secrets' && chmod 0755 '/opt/service-deploy/api' '/opt/service-deploy/api/host' && chmod 0700 '/opt/service-deploy/api/secrets'",
    );
});

test("the host script ships with every part it sources, each beside it under host/, and no file over 400 lines", () => {
    const vm = path.join(__dirname, "..", "components", "vm");
    const script = fs.readFileSync(path.join(vm, "deploy.sh"), "utf8");
    const sourced = /^for part in ([a-z ]+); do$/m.exec(script);
    assert.ok(sourced, "deploy.sh sources its parts in one loop");
    assert.deepEqual(sourced[1].split(" "), [...HOST_SCRIPT_PARTS], "sourced = shipped");
    assert.deepEqual(
        fs.readdirSync(path.join(vm, "host")).sort(),
        HOST_SCRIPT_PARTS.map((part) => `${part}.sh`).sort(),
        "every file under host/ is a shipped part",
    );
    const files = hostScriptFiles(p);
    assert.deepEqual(files[0], { source: "deploy.sh", remotePath: p.script });
    for (const f of files.slice(1)) {
        assert.equal(path.posix.dirname(f.remotePath), p.partsDir);
        assert.equal(path.posix.basename(f.remotePath), path.posix.basename(f.source));
    }
    for (const f of files) {
        const lines = fs.readFileSync(path.join(vm, f.source), "utf8").split("\n").length - 1;
        assert.ok(lines < 400, `${f.source}: ${lines} lines`);
    }
});

test("the deploy line, exactly", () => {
    assert.equal(
        deployCommand(p, o),
        "chmod 0600 '/opt/service-deploy/api/secrets/env' && sh '/opt/service-deploy/api/service-deploy.sh' deploy --service='api' --runtime='podman' " +
            "--blue-port='18000' --green-port='18001' --readiness-path='/readiness' --drain='10' --health-timeout='30' --lock-timeout='120' --listen='443' " +
            "--server-name='api.example.com' --tls-cert='/etc/tls/fullchain.pem' --tls-key='/etc/tls/privkey.pem' " +
            `--image='${o.image}' --image-platforms='linux/amd64,linux/arm64' --arch='arm64' --port='8080' --liveness-path='/liveness' --health-path='/health' ` +
            "--memory='512m' --cpus='0.5' --restart='unless-stopped' --bake='900' --keep='2' --env-file='/opt/service-deploy/api/secrets/env' --registry='ghcr.io' --registry-user='ci' " +
            "--env-version='0123456789abcdef' --env-plain=APP_ENV --env-plain=LOG_LEVEL --env-secret=DATABASE_URL",
    );
});

test("the policy pack reads the same facts back from the line", () => {
    const f = vmFlags(deployCommand(p, o));
    assert.deepEqual(
        [f.service, f.image, f.arch, f["image-platforms"], f["readiness-path"], f["env-secret"]],
        [["api"], [o.image], ["arm64"], ["linux/amd64,linux/arm64"], ["/readiness"], ["DATABASE_URL"]],
    );
});

test("other subcommands share the host options", () => {
    const h = { ...o, stateDir: "/tmp/s" };
    assert.match(
        rollbackCommand(p, h),
        /^sh '\/opt\/service-deploy\/api\/service-deploy\.sh' rollback --service='api' --runtime='podman' --state-dir='\/tmp\/s' /,
    );
    assert.match(statusCommand(p, h), / status --service='api'/);
    assert.match(removeCommand(p, h), / remove --service='api'/);
    assert.match(
        watchdogInstallCommand(p, { ...h, healthPath: "/health", intervalSeconds: 60 }),
        / watchdog-install .* --health-path='\/health' --webhook-file='\/opt\/service-deploy\/api\/secrets\/webhook' --interval='60'$/,
    );
    assert.match(removeCommand(p, h), / --secrets-dir='\/opt\/service-deploy\/api\/secrets'$/);
});

test("the installed watchdog and the built check get the same flags, TLS and listen included", () => {
    const h = { ...o, healthPath: "/health" };
    const check = watchdogCheckCommand(p, h).replace(/^.* watchdog-check /, "");
    const install = watchdogInstallCommand(p, { ...h, intervalSeconds: 60 }).replace(
        /^.* watchdog-install /,
        "",
    );
    assert.equal(install, `${check} --interval='60'`);
    assert.match(
        check,
        /--listen='443' --server-name='api\.example\.com' --tls-cert='\/etc\/tls\/fullchain\.pem' --tls-key=/,
    );
});

test("a non-root SSH user runs every subcommand through the host model's sudo line", () => {
    const h = { ...o, sudo: true };
    const script = "sudo -n /bin/sh '/opt/service-deploy/api/service-deploy.sh'";
    assert.match(
        deployCommand(p, h),
        new RegExp(`^chmod 0600 '[^']+' && ${script.replace(/[.*/]/g, "\\$&")} deploy `),
    );
    for (const line of [
        rollbackCommand(p, h),
        statusCommand(p, h),
        removeCommand(p, h),
        watchdogCheckCommand(p, { ...h, healthPath: "/health" }),
        watchdogInstallCommand(p, { ...h, healthPath: "/health", intervalSeconds: 60 }),
    ])
        assert.ok(line.startsWith(`${script} `), line);
    assert.ok(rollbackCommand(p, o).startsWith("sh '/opt/service-deploy/api/service-deploy.sh' rollback "));
});

test("the sudoers file: one line for the deploy script of every service, and bad names refused", () => {
    assert.equal(
        sudoersFile("deploy"),
        [
            "# /etc/sudoers.d/service-deploy: written from service-deploy's host model (docs/vm.md#host-model).",
            "# deploy runs the service-deploy script of each service as root, and nothing else.",
            "Defaults:deploy !requiretty",
            "deploy ALL=(root) NOPASSWD: /bin/sh /opt/service-deploy/*/service-deploy.sh *",
            "",
        ].join("\n"),
    );
    assert.match(
        sudoersFile("ops", "/srv/sd", ["CONTAINERS_CONF"]),
        /^Defaults:ops env_keep \+= "CONTAINERS_CONF"$/m,
    );
    assert.throws(() => sudoersFile("root"), /root needs no sudoers file/);
    assert.throws(
        () => sudoersFile("Deploy User"),
        /vm\.hosts\[\]\.user: Deploy User is not a Unix user name/,
    );
    assert.throws(() => sudoersFile("deploy", "/opt/a b"), /not an absolute path/);
});

test("quoting survives quotes, and env files refuse line breaks", () => {
    assert.equal(sq("it's"), `'it'\\''s'`);
    assert.equal(envFileContent({ B: "2", A: "x=y z" }), "A=x=y z\nB=2\n");
    assert.throws(
        () => envFileContent({ KEY: "line1\nline2" }),
        /env KEY: a value with a line break cannot go in an env file/,
    );
});

test("decisions: ports per service, batches, env version, deploy options from config", () => {
    assert.equal(serviceSubnet("10.213", 0), "10.213.0.0/24");
    assert.equal(serviceSubnet("10.213", 2), "10.213.2.0/24");
    assert.throws(() => serviceSubnet("10.213", 256), /at most 256/);
    assert.deepEqual(batches(["a", "b", "c"], 2), [["a", "b"], ["c"]]);
    assert.deepEqual(batches(["a", "b", "c"], 1), [["a"], ["b"], ["c"]]);
    assert.equal(envVersion("k", "A=1\n"), envVersion("k", "A=1\n"));
    assert.notEqual(envVersion("k", "A=1\n"), envVersion("k", "A=2\n"));
    assert.notEqual(envVersion("k1", "A=1\n"), envVersion("k2", "A=1\n"));
    assert.deepEqual(parseActive("x\nACTIVE service=api color=green digest=sha256:1 changed=false\n"), {
        color: "green",
        digest: "sha256:1",
        changed: false,
    });
    assert.equal(parseActive("nothing"), undefined);
});
