/**
 * The host model of docs/vm.md on the loopback lab, with a real non-root user: it logs in over
 * SSH with the lab's key, owns the service directory, and reaches root only through the sudoers
 * file sudoersFile() generates (installed as the host would have it, checked by visudo). Deploy,
 * rollback, the watchdog and remove all run as that user; anything else as root is refused.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
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
    sudoersFile,
    watchdogCheckCommand,
    watchdogInstallCommand,
    type DeployOptions,
} from "../../components/vm/commands";

const USER = "sd-lab-deploy";
const SUDOERS = "/etc/sudoers.d/sd-vm-lab";
const skip =
    labAvailable() ?? (fs.existsSync("/usr/bin/sudo") ? undefined : "sudo is missing (apt-get install sudo)");
let lab: Lab;
let root: string;
const images: Record<string, string> = {};
const as = (cmd: string, opts: { input?: string } = {}) => lab.ssh(cmd, { ...opts, user: USER });

before(() => {
    if (skip) return;
    lab = new Lab();
    lab.start();
    images.v1 = lab.image("hm", "v1", "ok", "v1");
    images.v2 = lab.image("hm", "v2", "ok", "v2");
    if (spawnSync("id", [USER]).status !== 0)
        execFileSync("useradd", ["--create-home", "--shell", "/bin/sh", USER]);
    // No password, but not a locked account either: sshd without PAM refuses locked ones.
    execFileSync("usermod", ["-p", "*", USER]);
    const home = execFileSync("sh", ["-c", `getent passwd ${USER} | cut -d: -f6`], {
        encoding: "utf8",
    }).trim();
    fs.mkdirSync(path.join(home, ".ssh"), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(lab.dir, "client_key.pub"), path.join(home, ".ssh", "authorized_keys"));
    execFileSync("chown", ["-R", `${USER}:${USER}`, path.join(home, ".ssh")]);
    // The service root, owned by the user (docs/vm.md, step 3), outside the lab's 0700 directory.
    root = fs.mkdtempSync(path.join(os.tmpdir(), "sd-vm-hostmodel-"));
    fs.chmodSync(root, 0o755);
    fs.mkdirSync(path.join(root, "opt"));
    execFileSync("chown", [`${USER}:${USER}`, path.join(root, "opt")]);
    // The generated file, as is, plus the lab's own container configuration (lab.ts's SetEnv).
    const file = path.join(root, "sudoers");
    fs.writeFileSync(
        file,
        sudoersFile(USER, path.join(root, "opt"), ["CONTAINERS_CONF", "CONTAINERS_REGISTRIES_CONF"]),
    );
    execFileSync("visudo", ["-cf", file]);
    execFileSync("install", ["-m", "0440", file, SUDOERS]);
});

after(() => {
    if (!lab) return;
    fs.rmSync(SUDOERS, { force: true });
    lab.ssh(`crontab -l 2>/dev/null | grep -v '# service-deploy-' | crontab - || true`);
    lab.stop();
    spawnSync("userdel", ["--remove", USER]);
    if (root) fs.rmSync(root, { recursive: true, force: true });
});

function options(): { p: ReturnType<typeof hostPaths>; o: DeployOptions } {
    const p = hostPaths("hm", path.join(root, "opt"));
    const o: DeployOptions = {
        service: "hm",
        image: "",
        imagePlatforms: ["linux/amd64", "linux/arm64"],
        arch: "amd64",
        runtime: "podman",
        port: 8080,
        subnet: "10.213.31.0/24",
        readinessPath: "/readiness",
        livenessPath: "/liveness",
        healthPath: "/health",
        memory: "256m",
        cpus: "0.5",
        restart: "unless-stopped",
        drainSeconds: 1,
        bakeSeconds: 300,
        healthTimeoutSeconds: 15,
        keep: 2,
        lockTimeoutSeconds: 2,
        envPlain: ["APP_ENV"],
        envSecret: ["DATABASE_URL"],
        listen: "127.0.0.1:8097",
        serverName: "_",
        sudo: true,
        stateDir: lab.stateDir,
        nginxConf: lab.nginxConf,
        nginxDir: lab.nginxDir,
    };
    return { p, o };
}

test("a non-root deploy user deploys, rolls back, runs the watchdog and removes, through the one sudoers line only", {
    skip,
}, () => {
    const { p, o } = options();
    assert.equal(as("id -u").stdout.trim() !== "0", true, "the SSH login is not root");
    assert.equal(as(prepareCommand(p)).code, 0);
    lab.installScript(p, USER);
    lab.copy(
        envFileContent({ APP_ENV: "staging", DATABASE_URL: "postgresql://a:pw@db:5432/a" }),
        p.envFile,
        "0600",
        USER,
    );
    lab.copy("http://127.0.0.1:8099/cgi-bin/hook", p.webhookFile, "0644", USER);

    const first = as(deployCommand(p, { ...o, image: images.v1 }));
    assert.equal(first.code, 0, first.stderr);
    const second = as(deployCommand(p, { ...o, image: images.v2 }));
    assert.equal(parseActive(second.stdout)?.color, "green", second.stderr);
    assert.match(lab.ssh("curl -s http://127.0.0.1:8097/version").stdout, /ok v2/);
    const rb = as(rollbackCommand(p, o));
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(lab.ssh("curl -s http://127.0.0.1:8097/version").stdout, /ok v1/);
    assert.match(as(statusCommand(p, o)).stdout, /color=blue .*health=healthy front_door=healthy/);

    const inst = as(watchdogInstallCommand(p, { ...o, healthPath: "/health", intervalSeconds: 60 }));
    assert.equal(inst.code, 0, inst.stderr);
    assert.match(inst.stdout, /via=cron/);
    assert.equal(fs.statSync(p.webhookFile).mode & 0o777, 0o600, "the webhook file is 0600");
    assert.match(lab.ssh("crontab -l").stdout, /# service-deploy-hm$/m, "root's crontab runs the check");
    assert.match(
        as(watchdogCheckCommand(p, { ...o, healthPath: "/health" })).stdout,
        /WATCHDOG service=hm healthy/,
    );

    const audit = fs.readFileSync(path.join(lab.stateDir, "hm", "audit.log"), "utf8");
    assert.match(
        audit,
        new RegExp(`\\t${USER}\\tdeploy ok color=blue`),
        "the audit log names the deploy user",
    );

    const rm = as(removeCommand(p, o));
    assert.equal(rm.code, 0, rm.stderr);
    assert.doesNotMatch(lab.ssh("crontab -l 2>/dev/null || true").stdout, /service-deploy-hm/);
    assert.notEqual(lab.ssh("podman network exists service-deploy-hm").code, 0, "the network is gone");
    assert.ok(!fs.existsSync(p.secretsDir), "the secrets directory is gone");
    assert.doesNotMatch(lab.ssh("podman ps -a --format '{{.Names}}'").stdout, /^hm-/m);
});

test("the deploy user gets nothing else as root, and the script run without sudo says how to run it", {
    skip,
}, () => {
    const { p, o } = options();
    for (const cmd of [
        "sudo -n /usr/bin/podman ps",
        "sudo -n /bin/sh -c id",
        "sudo -n /usr/sbin/nginx -s stop",
    ])
        assert.notEqual(as(cmd).code, 0, `${cmd} is refused`);
    assert.equal(as(prepareCommand(p)).code, 0);
    lab.installScript(p, USER);
    const plain = as(statusCommand(p, { ...o, sudo: false }));
    assert.notEqual(plain.code, 0);
    assert.match(
        plain.stderr,
        /service-deploy\.sh runs as root: log in as root, or as the deploy user through sudo/,
    );
});

test("a host with neither systemd nor cron: the watchdog install fails naming both", { skip }, () => {
    const { p, o } = options();
    lab.installScript(p);
    const r = lab.ssh(
        watchdogInstallCommand(p, { ...o, sudo: false, healthPath: "/health", intervalSeconds: 60 }),
        {
            env: { SERVICE_DEPLOY_CRONTAB: "no-crontab-here", SERVICE_DEPLOY_SYSTEMD_RUN: "/nonexistent" },
        },
    );
    assert.notEqual(r.code, 0);
    assert.match(
        r.stderr,
        /neither systemd \(no \/nonexistent\) nor cron \(no no-crontab-here command\) is on this host, so the watchdog cannot be scheduled: install cron/,
    );
});
