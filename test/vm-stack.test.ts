/** The VM target's resources under mocks (Pulumi.vm-staging.yaml): what runs, in which order, with which secrets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as YAML from "yaml";
import { graphOf, type Graph } from "./mocks";
import { HOST_SCRIPT_PARTS } from "../components/vm/commands";

let g: Graph;
const graph = async () => (g ??= await graphOf("vm-staging"));
const file = YAML.parse(fs.readFileSync("Pulumi.vm-staging.yaml", "utf8")).config;
const ref = file["service-deploy:services"][0].image.ref;

test("per host: prepare, the script and the 0600 env file copied, then the deploy, then the watchdog", async () => {
    const g = await graph();
    const names = g
        .all("command:remote:Command")
        .map((r) => r.name)
        .concat(g.all("command:remote:CopyToRemote").map((r) => r.name))
        .sort();
    assert.deepEqual(
        names,
        [
            "vm-api-oci-arm-1-deploy",
            "vm-api-oci-arm-1-env",
            "vm-api-oci-arm-1-prepare",
            "vm-api-oci-arm-1-script",
            ...HOST_SCRIPT_PARTS.map((part) => `vm-api-oci-arm-1-script-${part}`),
            "vm-api-oci-arm-1-watchdog",
            "vm-api-oci-arm-1-webhook",
        ].sort(),
    );
    const script = g.inputs(g.one("command:remote:CopyToRemote", "vm-api-oci-arm-1-script"));
    assert.equal(script.remotePath, "/opt/service-deploy/api/service-deploy.sh");
    assert.match(
        script.source.path,
        /components\/vm\/deploy\.sh$/,
        "the script the loopback test runs is the one copied",
    );
    const deploy = g.one("command:remote:Command", "vm-api-oci-arm-1-deploy");
    const deps = deploy.options.dependsOn!.map((u) => u.split("::").pop());
    assert.deepEqual(
        deps.sort(),
        [
            "vm-api-oci-arm-1-env",
            "vm-api-oci-arm-1-script",
            ...HOST_SCRIPT_PARTS.map((part) => `vm-api-oci-arm-1-script-${part}`),
            "vm-api-oci-arm-1-webhook",
        ].sort(),
    );
    // The script lands after its parts, so the watchdog's timer never starts a new script whose
    // parts are not on the host yet.
    const scriptDeps = g
        .one("command:remote:CopyToRemote", "vm-api-oci-arm-1-script")
        .options.dependsOn!.map((u) => u.split("::").pop());
    for (const part of HOST_SCRIPT_PARTS)
        assert.ok(scriptDeps.includes(`vm-api-oci-arm-1-script-${part}`), part);
    for (const part of HOST_SCRIPT_PARTS) {
        const copy = g.inputs(g.one("command:remote:CopyToRemote", `vm-api-oci-arm-1-script-${part}`));
        assert.equal(copy.remotePath, `/opt/service-deploy/api/host/${part}.sh`);
        assert.match(copy.source.path, new RegExp(`components/vm/host/${part}\\.sh$`));
    }
});

test("the digest is in the deploy line, so a new digest is an update, never a replacement that would run delete", async () => {
    const g = await graph();
    const deploy = g.one("command:remote:Command", "vm-api-oci-arm-1-deploy");
    const i = g.inputs(deploy);
    assert.ok(i.create.includes(`--image='${ref}'`));
    assert.match(i.create, /--arch='arm64' /);
    assert.match(i.create, /--subnet='10\.213\.0\.0\/24'/, "colors on their own network, no published ports");
    assert.doesNotMatch(i.create, /--blue-port/);
    assert.match(i.create, /--memory='512m' --cpus='0.5' --restart='unless-stopped'/);
    assert.match(i.create, /--env-version='[0-9a-f]{16}'/);
    assert.equal(i.triggers, undefined, "no triggers: they replace, and a replacement runs delete");
    assert.match(i.delete, /service-deploy\.sh' remove --service='api'/);
    assert.equal(deploy.options.deleteBeforeReplace, true);
});

test("secrets: env file and webhook as secret assets, registry password on stdin, output kept secret and not logged", async () => {
    const g = await graph();
    const deploy = g.one("command:remote:Command", "vm-api-oci-arm-1-deploy");
    assert.equal(g.redacted(deploy).stdin, "[secret]");
    assert.equal(g.inputs(deploy).logging, "stderr");
    for (const o of ["stdout", "stderr"]) assert.ok(deploy.options.additionalSecretOutputs!.includes(o), o);
    for (const n of ["vm-api-oci-arm-1-env", "vm-api-oci-arm-1-webhook"]) {
        assert.equal(g.redacted(g.one("command:remote:CopyToRemote", n)).source, "[secret]");
    }
    const envText = JSON.stringify(
        g.inputs(g.one("command:remote:CopyToRemote", "vm-api-oci-arm-1-env")).source,
    );
    for (const k of [
        "APP_ENV=staging",
        "LOG_LEVEL=debug",
        "PORT=8080",
        "DATABASE_URL=offline-placeholder-for-databaseUrl",
        "STRIPE_API_KEY=",
        "SESSION_SECRET=",
    ])
        assert.ok(envText.includes(k), k);
    assert.ok(!g.inputs(deploy).create.includes("offline-placeholder"), "no secret on the command line");
    const plain =
        JSON.stringify(g.result.resources.map((r) => g.redacted(r))) + JSON.stringify(g.result.outputs);
    assert.deepEqual(
        g.result.secretValues.filter((s) => plain.includes(s)),
        [],
    );
});

test("the connection pins the host key and holds the private key as a secret", async () => {
    const g = await graph();
    const deploy = g.one("command:remote:Command", "vm-api-oci-arm-1-deploy");
    assert.equal(g.redacted(deploy).connection, "[secret]");
    const c = g.inputs(deploy).connection;
    assert.deepEqual(
        [c.host, c.port, c.user, c.hostKey],
        ["203.0.113.10", 22, "deploy", file["service-deploy:vm"].hosts[0].hostKey],
    );
    assert.equal(c.privateKey, "offline-placeholder-for-vmSshKey");
});

test("an uptime check on the public URL with failure and latency alarms, in us-east-1 where Route 53 reports", async () => {
    const g = await graph();
    const check = g.inputs(g.one("aws:route53/healthCheck:HealthCheck"));
    assert.deepEqual(
        [check.type, check.fqdn, check.port, check.resourcePath, check.measureLatency],
        ["HTTPS", "api.staging.example.com", 443, "/health", true],
    );
    const alarms = g.all("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => g.inputs(a));
    assert.deepEqual(alarms.map((a) => [a.metricName, a.tags["service-deploy:alarm"]]).sort(), [
        ["HealthCheckPercentageHealthy", "error-rate"],
        ["TimeToFirstByte", "latency"],
    ]);
    const provider = g.inputs(g.one("pulumi:providers:aws"));
    assert.equal(provider.region, "us-east-1");
});

test("outputs: the URL, the deployed digest, the active color per host", async () => {
    const g = await graph();
    const out = (g.result.outputs.services as any).api;
    assert.equal(out.url, "https://api.staging.example.com");
    assert.equal(out.digest, ref.split("@")[1]);
    assert.deepEqual(out.activeColors, { "oci-arm-1": "blue" });
});
