/** `npm run plan`: output formats, exit codes, secrets, and what it says it could not verify. */
import { test } from "node:test";
import { planCli } from "./mocks";
import assert from "node:assert/strict";

const plan = (...args: string[]) => planCli(args);

test("--json prints exactly one JSON object with the resources as the provider receives them, secrets as [secret]", async () => {
    const r = await plan("--stack", "staging", "--json");
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(r.stdout.trim().split("\n").length, 1);
    assert.equal(doc.stack, "staging");
    assert.deepEqual(doc.violations, []);
    for (const res of doc.resources)
        assert.deepEqual(Object.keys(res), ["urn", "type", "name", "parent", "inputs"]);
    const db = doc.resources.find((x: any) => x.type === "aws:rds/instance:Instance");
    assert.equal(db.inputs.password, "[secret]");
    assert.match(
        db.urn,
        /^urn:pulumi:staging::service-deploy::service-deploy:aws:AwsTarget\$service-deploy:aws:Postgres\$aws:rds\/instance:Instance::aws-pg-db$/,
    );
    const version = doc.resources.find(
        (x: any) => x.type === "aws:secretsmanager/secretVersion:SecretVersion",
    );
    assert.equal(version.inputs.secretString, "[secret]");
    assert.ok(!r.stdout.includes("offline-placeholder"), "no secret value in the output");
    assert.ok(!r.stdout.includes("offline-random"), "no generated secret in the output");
});

test("the tree names the rules ECS owns and lists what could not be verified offline", async () => {
    const r = await plan("--stack", "production");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Offline plan of stack production \(Pulumi\.production\.yaml\): \d+ resources/);
    assert.match(
        r.stdout,
        /aws:lb\/listenerRule:ListenerRule {2}aws-api-production {2}\[ignoreChanges: actions\]/,
    );
    assert.match(r.stdout, /password: "\[secret\]"/);
    assert.match(
        r.stdout,
        /Not verified offline:\n {2}- service-deploy:stripeApiKey: not set in the stack file/,
    );
    assert.match(
        r.stdout,
        /registry manifest list of 123456789012\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com\/production\/api@sha256:[0-9a-f]{64}: the registry cannot be reached offline/,
    );
});

test("invalid config exits 2 with every problem on stderr, each naming the file and the key", async () => {
    const r = await plan("--stack", "staging", "--config", "test/fixtures/invalid-several.yaml");
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /3 problems in the stack config \(test\/fixtures\/invalid-several\.yaml\)/);
    assert.match(
        r.stderr,
        /test\/fixtures\/invalid-several\.yaml: service-deploy:databse: unknown config key \(did you mean "service-deploy:database"\?\)/,
    );
    assert.match(
        r.stderr,
        /service-deploy:services\[0\]\.memoryMiB: SD-025: 1024 MiB is not a Fargate size for 1 vCPU/,
    );
    assert.match(r.stderr, /service-deploy:services\[0\]\.image\.ref: SD-004: must be pinned by digest/);
});

test("secure: values are opaque secrets offline, not errors", async () => {
    const r = await plan("--stack", "staging", "--config", "test/fixtures/secure-values.yaml", "--json");
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.match(
        doc.notes.join("\n"),
        /service-deploy:stripeApiKey: a secure value cannot be decrypted offline/,
    );
    assert.ok(!r.stdout.includes("v1:Zm9v"), "the ciphertext is not echoed");
});

test("an unknown stack or a bad argument exits 2 and says what exists", async () => {
    const unknown = await plan("--stack", "qa");
    assert.equal(unknown.code, 2);
    assert.match(
        unknown.stderr,
        /no stack file Pulumi\.qa\.yaml; known stacks: gcp-production, gcp-staging, oci-staging, production, staging, vm-staging \(or pass --config <file>\)/,
    );
    const bad = await plan("--stak", "staging");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown argument --stak/);
    const missing = await plan("--stack", "staging", "--config", "nope.yaml");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--config nope\.yaml: no such file/);
});
