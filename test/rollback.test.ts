/**
 * `npm run rollback` (scripts/rollback.ts): the VM rollback line comes from the stack's own config
 * through the deploy's builder, so it carries the deploy's listen, TLS and network (checked
 * against the deploy line the program itself produces under mocks); the SSH pins the host key;
 * --dry-run masks the key; ECS and Cloud Run print their own rollback.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { graphOf } from "./mocks";
import { vmFlags } from "../policies/lib";
import {
    cloudRunPlan,
    ecsPlan,
    imageRefIn,
    knownHosts,
    parseArgs,
    rollback,
    shellLine,
    vmSteps,
} from "../scripts/rollback";
import { stackConfigOf } from "../scripts/policy-config";

const config = (stack: string) => stackConfigOf(path.resolve(`Pulumi.${stack}.yaml`));
const files = { identity: "/k/id", knownHosts: "/k/known_hosts", controlDir: "/k" };

test("rollback arguments: --stack required, values checked, unknown ones refused", () => {
    assert.deepEqual(parseArgs(["--stack", "vm-staging", "--dry-run", "--host", "oci-arm-1"]), {
        dryRun: true,
        stack: "vm-staging",
        host: "oci-arm-1",
    });
    for (const [argv, message] of [
        [[], /--stack <name> is required/],
        [["--stack"], /--stack needs a value/],
        [["--stack", "s", "--service", "--dry-run"], /--service needs a value/],
        [["--stack", "s", "--blue-port", "18000"], /unknown argument --blue-port/],
    ] as const)
        assert.throws(() => parseArgs([...argv]), message);
});

test("the VM rollback line carries the deploy's own listen, TLS, network and runtime, through sudo for a non-root user", async () => {
    const [step] = vmSteps(config("vm-staging"), {}, files);
    const g = await graphOf("vm-staging");
    const deployLine = g.inputs(g.one("command:remote:Command", "vm-api-oci-arm-1-deploy")).create as string;
    const deploy = vmFlags(deployLine);
    const back = vmFlags(step.rollback);
    for (const k of [
        "service",
        "runtime",
        "listen",
        "server-name",
        "tls-cert",
        "tls-key",
        "subnet",
        "readiness-path",
    ]) {
        assert.ok(back[k], `the rollback line has --${k}`);
        assert.deepEqual(back[k], deploy[k], `--${k} as the deploy has it`);
    }
    assert.match(
        step.rollback,
        /^sudo -n \/bin\/sh '\/opt\/service-deploy\/api\/service-deploy\.sh' rollback /,
    );
    assert.match(
        deployLine,
        / && sudo -n \/bin\/sh '\/opt\/service-deploy\/api\/service-deploy\.sh' deploy /,
    );
    assert.match(step.status, / status --service='api' /);
});

test("the SSH pins the host key, uses only the stack's key, and reuses one connection", () => {
    const c = config("vm-staging");
    const [step] = vmSteps(c, { host: "oci-arm-1" }, files);
    const line = step.ssh.join(" ");
    for (const o of [
        "StrictHostKeyChecking=yes",
        "UserKnownHostsFile=/k/known_hosts",
        "BatchMode=yes",
        "IdentitiesOnly=yes",
        "ControlMaster=auto",
    ])
        assert.ok(line.includes(o), o);
    assert.match(line, /-i \/k\/id .*-p 22 deploy@203\.0\.113\.10$/);
    assert.equal(knownHosts(c.vm!), `203.0.113.10 ${c.vm!.hosts![0].hostKey}\n`);
    assert.equal(
        knownHosts({ ...c.vm!, hosts: [{ ...c.vm!.hosts![0], port: 2222 }] }),
        `[203.0.113.10]:2222 ${c.vm!.hosts![0].hostKey}\n`,
    );
    assert.throws(
        () => vmSteps(c, { host: "nope" }, files),
        /--host nope: no such host in vm\.hosts \(it has: oci-arm-1\)/,
    );
    assert.throws(
        () => vmSteps(c, { service: "web" }, files),
        /--service web: no such service in this stack \(it has: api\)/,
    );
});

test("--dry-run prints the exact ssh lines with the key masked and runs nothing", async () => {
    const lines: string[] = [];
    assert.equal(await rollback({ stack: "vm-staging", dryRun: true }, (l) => lines.push(l)), 0);
    const out = lines.join("\n");
    const runs = lines.filter((l) => l.startsWith("  would run: ssh "));
    assert.equal(runs.length, 2);
    assert.match(runs[1], /-i '<the stack'\\''s secret vmSshKey>' /);
    assert.match(
        runs[1],
        /'sudo -n \/bin\/sh '\\''\/opt\/service-deploy\/api\/service-deploy\.sh'\\'' rollback /,
    );
    assert.match(out, /known_hosts .*\n {4}203\.0\.113\.10 ssh-ed25519 /);
    assert.doesNotMatch(out, /BEGIN OPENSSH PRIVATE KEY|offline-placeholder/);
    assert.equal(shellLine(["a b", "c"], { b: "<x>" }), "'a <x>' c");
});

test("ECS prints the previous digest through the stack and the up; Cloud Run the traffic move to the previous revision", () => {
    const prod = config("production").services[0];
    const prev = `ghcr.io/acme/api@sha256:${"a".repeat(64)}`;
    const ecs = ecsPlan("production", prod, prev).join("\n");
    assert.match(ecs, /changes one line of Pulumi\.production\.yaml/);
    assert.ok(ecs.includes(`-> ${prev}`));
    assert.match(
        ecs,
        /pulumi up --stack production --policy-pack policies --policy-pack-config policies\/config\/production\.json/,
    );
    assert.match(ecsPlan("production", prod, undefined).join("\n"), /no earlier image\.ref of api/);

    // The committed stack is a first deploy: it names no previous revision, and the rollback says
    // so; after a release (npm run promote writes traffic.previous) it moves traffic back.
    const c = config("gcp-production");
    assert.match(
        cloudRunPlan("gcp-production", c.services[0]).join("\n"),
        /cloudRun\.traffic\.previous is not set in Pulumi\.gcp-production\.yaml/,
    );
    const previous = "api-9b1c3e5a7d9f-3c4d5e";
    const released = {
        ...c.services[0],
        cloudRun: {
            ...c.services[0].cloudRun!,
            traffic: { ...c.services[0].cloudRun!.traffic!, previous },
        },
    };
    const run = cloudRunPlan("gcp-production", released, c.gcpLocation?.region, c.gcpLocation?.project).join(
        "\n",
    );
    assert.ok(
        run.includes(
            `gcloud run services update-traffic api --region ${c.gcpLocation!.region} --project ${c.gcpLocation!.project} --to-revisions ${previous}=100`,
        ),
        run,
    );
    assert.match(run, /cloudRun\.traffic\.percent: 0/);
    assert.equal(
        imageRefIn(
            `config:\n  service-deploy:services:\n    - name: api\n      image:\n        ref: ${prev}\n`,
            "api",
        ),
        prev,
    );
    assert.equal(imageRefIn("not: [valid", "api"), undefined);
});
