/**
 * On the VM host, before the switch: deploy.sh reads the app's env declaration from the pulled
 * image's label (dev.service-deploy.env) and the env file's keys, and refuses an image that reads
 * a variable the env file lacks, naming it, before anything changes; the old version keeps serving.
 * Runs the exact command strings of components/vm/commands.ts on the loopback lab (lab.ts).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertCited } from "./cited";
import * as fs from "node:fs";
import * as path from "node:path";
import { Lab, labAvailable, NGINX_LISTEN } from "./lab";
import {
    deployCommand,
    envFileContent,
    hostPaths,
    prepareCommand,
    type DeployOptions,
    type HostPaths,
} from "../../components/vm/commands";
import { ENV_LABEL, declarationLabel, parseEnvDeclaration } from "../../components/contract";

const skip = labAvailable();
const ROOT = path.resolve(__dirname, "..", "..");
/** The example app's real declaration, as a build stamps it. */
const APP_LABEL = declarationLabel(
    parseEnvDeclaration(fs.readFileSync(path.join(ROOT, "app", ".env.example"), "utf8"), "app/.env.example"),
);
let lab: Lab;
let paths: HostPaths;
let opts: DeployOptions;
const images: Record<string, string> = {};

before(() => {
    if (skip) return;
    lab = new Lab();
    lab.start();
    images.declared = lab.image("app", "declared", "ok", "v1", ["amd64", "arm64"], {
        [ENV_LABEL]: APP_LABEL,
    });
    // The same app, one release later, now also reading REDIS_URL (required) and SENTRY_DSN.
    const asks = JSON.stringify({ ...JSON.parse(APP_LABEL), REDIS_URL: "required", SENTRY_DSN: "secret" });
    images.asks = lab.image("app", "asks", "ok", "v2", ["amd64", "arm64"], { [ENV_LABEL]: asks });
    images.garbled = lab.image("app", "garbled", "ok", "v3", ["amd64", "arm64"], {
        [ENV_LABEL]: "{DATABASE_URL:secret}",
    });
    paths = hostPaths("app", lab.hostRoot);
    assert.equal(lab.ssh(prepareCommand(paths)).code, 0);
    lab.installScript(paths);
    lab.copy(
        envFileContent({
            APP_ENV: "staging",
            DATABASE_URL: "postgresql://app:lab-db-password@db.internal:5432/app",
            LOG_LEVEL: "debug",
        }),
        paths.envFile,
        "0600",
    );
    opts = {
        service: "app",
        image: "",
        imagePlatforms: ["linux/amd64", "linux/arm64"],
        arch: "amd64",
        runtime: "podman",
        port: 8080,
        subnet: "10.213.2.0/24",
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
        envPlain: ["APP_ENV", "LOG_LEVEL"],
        envSecret: ["DATABASE_URL"],
        listen: NGINX_LISTEN,
        serverName: "_",
        stateDir: lab.stateDir,
        nginxConf: lab.nginxConf,
        nginxDir: lab.nginxDir,
    };
});

after(() => lab?.stop());

const deploy = (image: string) => lab.ssh(deployCommand(paths, { ...opts, image }));
const containers = () => lab.ssh(`podman ps -a --format '{{.Names}} {{.ID}}' | sort`).stdout.trim();

test("an image whose declared env the env file satisfies deploys, and says it checked", { skip }, () => {
    const r = deploy(images.declared);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
        r.stderr,
        /env file sets every variable 127\.0\.0\.1:5000\/app@sha256:[0-9a-f]{64} declares/,
    );
    assert.match(lab.get("/version").body, /ok v1/);
});

test("a label that is not the app's declaration is refused, not taken as an empty one", { skip }, () => {
    const before = containers();
    const r = deploy(images.garbled);
    assert.notEqual(r.code, 0);
    assert.match(
        r.stderr,
        /has a label dev\.service-deploy\.env that is not the app's env declaration .* Nothing was changed/,
    );
    assert.equal(containers(), before);
    assert.match(lab.get("/version").body, /ok v1/);
});

test("an image that reads variables the env file lacks is refused naming them, before anything changes", {
    skip,
}, () => {
    const before = containers();
    const r = deploy(images.asks);
    assert.notEqual(r.code, 0);
    assert.match(
        r.stderr,
        /image 127\.0\.0\.1:5000\/app@sha256:[0-9a-f]{64} reads REDIS_URL SENTRY_DSN \(its label dev\.service-deploy\.env\), which the env file \S+ does not set; .* Nothing was changed/,
    );
    assertCited(r.stderr, "SD-006", /reads REDIS_URL SENTRY_DSN .*add them to the service's env/);
    assert.ok(!r.stderr.includes("lab-db-password"), "no secret in the output");
    assert.equal(containers(), before);
    assert.match(lab.get("/version").body, /ok v1/);
});
