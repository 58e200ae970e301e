/**
 * Bad stack config: every problem names its config key and the stack file, all problems come at
 * once, and the program throws before a single resource is registered. Each case starts from the
 * committed staging file and changes one thing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseStackConfig } from "../components/config";
import {
    base,
    type Case,
    invalidConfigTests,
    obj,
    ready,
    runProgram,
    set,
    svc,
} from "./invalid-config-suite";

const cases: Case[] = [
    {
        name: "a typo in a top-level key",
        mutate: (c) => {
            set(c, "servics", c["service-deploy:services"]);
        },
        key: "service-deploy:servics",
        message: /unknown config key \(did you mean "service-deploy:services"\?\)/,
    },
    {
        name: "a typo inside a service",
        mutate: (c) =>
            svc(c, (s) => {
                s.desiredCont = 2;
            }),
        key: "service-deploy:services[0]",
        message: /unknown key "desiredCont" \(did you mean "desiredCount"\?\)/,
    },
    {
        name: "a memory size Fargate does not offer",
        mutate: (c) =>
            svc(c, (s) => {
                s.vcpu = 1;
                s.memoryMiB = 3000;
            }),
        key: "service-deploy:services[0].memoryMiB",
        code: "SD-025",
        message: /3000 MiB is not a Fargate size for 1 vCPU; choose one of 2048-8192/,
    },
    {
        name: "an image by mutable tag",
        mutate: (c) =>
            svc(c, (s) => {
                s.image = { ref: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:latest" };
            }),
        key: "service-deploy:services[0].image.ref",
        code: "SD-004",
        message:
            /must be pinned by digest: <registry>\/<name>@sha256:<64 hex digits> \(a tag alone is mutable\)/,
    },
    {
        name: "a digest that is not sha256 hex",
        mutate: (c) =>
            svc(c, (s) => {
                s.image = { ref: "registry.example.com/api@sha256:xyz" };
            }),
        key: "service-deploy:services[0].image.ref",
        code: "SD-004",
        message: /must be pinned by digest/,
    },
    {
        name: "an env var derived from an unknown source",
        mutate: (c) =>
            svc(c, (s) => {
                s.env.DATABASE_URL = { from: "database.uri" };
            }),
        key: "service-deploy:services[0].env.DATABASE_URL",
        message: /must be \{ value/,
    },
    {
        name: "an env var naming an undeclared secret",
        mutate: (c) =>
            svc(c, (s) => {
                s.env.API_TOKEN = { secret: "apiToken" };
            }),
        key: "service-deploy:services[0].env.API_TOKEN.secret",
        code: "SD-010",
        message:
            /secret "apiToken", which is not declared under service-deploy:secrets \(declared: stripeApiKey, slackWebhookUrl, sessionSecret\)/,
    },
    {
        name: "an unknown architecture",
        mutate: (c) =>
            svc(c, (s) => {
                s.architecture = "x86";
            }),
        key: "service-deploy:services[0].architecture",
        message: /amd64|arm64/,
    },
    {
        name: "a port out of range",
        mutate: (c) =>
            svc(c, (s) => {
                s.port = 70000;
            }),
        key: "service-deploy:services[0].port",
        message: /65535/,
    },
    {
        name: "a health path without a slash",
        mutate: (c) =>
            svc(c, (s) => {
                s.health.readiness = "readiness";
            }),
        key: "service-deploy:services[0].health.readiness",
        message: /absolute URL path/,
    },
    {
        name: "a build that lacks the service's platform",
        mutate: (c) =>
            svc(c, (s) => {
                s.image.build.platforms = ["linux/amd64"];
            }),
        key: "service-deploy:services[0].image.build.platforms",
        code: "SD-001",
        message: /runs on linux\/arm64 but the build only produces linux\/amd64; add linux\/arm64/,
    },
    {
        name: "two services with one name",
        mutate: (c) => {
            const s = obj(c, "services");
            set(c, "services", [s[0], s[0]]);
        },
        key: "service-deploy:services[1].name",
        message: /duplicate service name "api"/,
    },
    {
        name: "no services",
        mutate: (c) => set(c, "services", []),
        key: "service-deploy:services",
        message: /at least one service/,
    },
    {
        name: "a database version that is not a version",
        mutate: (c) => {
            const d = obj(c, "database");
            d.engineVersion = "sixteen";
            set(c, "database", d);
        },
        key: "service-deploy:database.engineVersion",
        message: /PostgreSQL version/,
    },
    {
        name: "a malformed instance class",
        mutate: (c) => {
            const d = obj(c, "database");
            d.instanceClass = "r6g.xlarge";
            set(c, "database", d);
        },
        key: "service-deploy:database.instanceClass",
        message: /RDS instance class/,
    },
    {
        name: "a test listener open to the world",
        mutate: (c) => {
            const b = obj(c, "blueGreen");
            b.testCidr = "0.0.0.0/0";
            set(c, "blueGreen", b);
        },
        key: "service-deploy:blueGreen.testCidr",
        code: "SD-023",
        message: /opens the unreleased revision to the world/,
    },
    {
        name: "a test listener without a CIDR",
        mutate: (c) => {
            const b = obj(c, "blueGreen");
            delete b.testCidr;
            set(c, "blueGreen", b);
        },
        key: "service-deploy:blueGreen.testCidr",
        code: "SD-023",
        message: /must be the CIDR of your office or CI range/,
    },
    {
        name: "a certificate that is not an ACM ARN",
        mutate: (c) => {
            const a = obj(c, "aws");
            a.certificateArn = "my-cert";
            set(c, "aws", a);
        },
        key: "service-deploy:aws.certificateArn",
        message: /ACM certificate ARN/,
    },
    {
        name: "a TLS 1.0 listener policy",
        mutate: (c) => {
            const a = obj(c, "aws");
            a.sslPolicy = "ELBSecurityPolicy-2016-08";
            set(c, "aws", a);
        },
        key: "service-deploy:aws.sslPolicy",
        message: /TLS 1\.2\+ policy/,
    },
    {
        name: "a config secret stored in plain text",
        mutate: (_c, sk) => {
            sk.splice(sk.indexOf("service-deploy:stripeApiKey"), 1);
        },
        key: "service-deploy:stripeApiKey",
        code: "SD-007",
        message:
            /stored in plain text in Pulumi\.staging\.yaml; remove it and run: pulumi config set --secret stripeApiKey <value>/,
    },
    {
        name: "a declared config secret that is not set",
        mutate: (c) => {
            delete c["service-deploy:stripeApiKey"];
        },
        key: "service-deploy:stripeApiKey",
        code: "SD-010",
        message: /not set; run: pulumi config set --secret stripeApiKey <value>/,
    },
    {
        name: "an environment name with capitals",
        mutate: (c) => set(c, "environment", "Prod!"),
        key: "service-deploy:environment",
        message: /a-z, 0-9 and -/,
    },
    {
        name: "an existing VPC with one subnet",
        mutate: (c) =>
            set(c, "network", {
                mode: "existing",
                vpcId: "vpc-0abc",
                publicSubnetIds: ["subnet-01"],
                privateSubnetIds: ["subnet-02", "subnet-03"],
            }),
        key: "service-deploy:network.publicSubnetIds",
        message: /2/,
    },
    {
        name: "an alarm e-mail that is not an address",
        mutate: (c) => set(c, "alarms", { emails: ["oncall"] }),
        key: "service-deploy:alarms.emails[0]",
        message: /email/i,
    },
    {
        name: "an alert threshold above the rollback threshold",
        mutate: (c) => set(c, "alarms", { errorRatePercent: 12 }),
        key: "service-deploy:alarms.errorRatePercent",
        message: /must be below the rollback threshold/,
    },
    {
        name: "a webhook under alarms.webhooks, the path SNS never confirms",
        mutate: (c) => set(c, "alarms", { webhooks: ["https://hooks.slack.com/services/T0/B0/xyz"] }),
        key: "service-deploy:alarms.webhooks[0]",
        code: "SD-016",
        message: /never confirms.*notifications\.destinations/,
    },
    {
        name: "Cloud Run settings on an AWS service",
        mutate: (c) =>
            svc(c, (s) => {
                s.cloudRun = { minInstances: 1 };
            }),
        key: "service-deploy:services[0].cloudRun",
        message: /cloudRun settings apply to target gcp only/,
    },
    {
        name: "a service on AWS without blue-green settings",
        mutate: (c) => {
            delete c["service-deploy:blueGreen"];
        },
        key: "service-deploy:blueGreen",
        code: "SD-023",
        message: /set blueGreen\.testCidr/,
    },
    {
        name: "a bake shorter than the longest rollback window plus the metrics' delay",
        mutate: (c) => {
            set(c, "blueGreen", { ...obj(c, "blueGreen"), bakeTimeMinutes: 5 });
        },
        key: "service-deploy:blueGreen.bakeTimeMinutes",
        message:
            /a bake of 5 min ends before the rollback alarms can fire: the longest rollback window is 5 min .* at least 8/,
    },
    {
        name: "a one-minute rollback window (M of N needs M < N)",
        mutate: (c) => {
            set(c, "blueGreen", { ...obj(c, "blueGreen"), rollbackErrorRateMinutes: 1 });
        },
        key: "service-deploy:blueGreen.rollbackErrorRateMinutes",
        message: />=2|at least 2|too small/i,
    },
    {
        name: "a test listener on the production port",
        mutate: (c) => set(c, "blueGreen", { ...obj(c, "blueGreen"), testListenerPort: 443 }),
        key: "service-deploy:blueGreen.testListenerPort",
        code: "SD-023",
        message: /443 is the production listener; choose another port such as 8443/,
    },
    {
        name: "a service reading the database of a stack that declares none",
        mutate: (c) => {
            delete c["service-deploy:database"];
        },
        key: "service-deploy:services[0].env.DATABASE_URL.from",
        code: "SD-006",
        message: /reads database\.url but the stack declares no service-deploy:database/,
    },
    {
        name: "a config secret set to nothing",
        mutate: (c) => {
            c["service-deploy:stripeApiKey"] = "";
        },
        key: "service-deploy:stripeApiKey",
        code: "SD-010",
        message: /secret "stripeApiKey" is empty/,
    },
    {
        name: "a VM SSH key naming a secret the stack does not declare",
        stack: "vm-staging",
        mutate: (c) => set(c, "vm", { ...obj(c, "vm"), sshKeySecret: "vmSshKye" }),
        key: "service-deploy:vm.sshKeySecret",
        code: "SD-010",
        message: /must name a declared secret \(declared: .*vmSshKey/,
    },
    {
        name: "a provisioned VM whose shape runs another CPU than the service",
        stack: "oci-staging",
        mutate: (c) => {
            const vm = obj(c, "vm");
            vm.provision.oci.shape = "VM.Standard.E4.Flex";
            set(c, "vm", vm);
        },
        key: "service-deploy:vm.provision.oci.shape",
        code: "SD-003",
        message: /VM\.Standard\.E4\.Flex runs linux\/amd64 but services\[0\]\.architecture is arm64/,
    },
];

test("at least 15 distinct invalid configs are covered", () => {
    assert.ok(cases.length >= 15, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
});

invalidConfigTests(cases);

test("every problem is reported at once, not one per run", async () => {
    await ready;
    const { config, secretKeys } = base();
    cases[0].mutate(config, secretKeys);
    cases[2].mutate(config, secretKeys);
    cases[15].mutate(config, secretKeys);
    const err = runProgram(config, secretKeys);
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(
        err.problems.map((p) => p.key).sort(),
        [
            "service-deploy:blueGreen.testCidr",
            "service-deploy:services[0].memoryMiB",
            "service-deploy:servics",
        ].sort(),
    );
    assert.match(
        err.message,
        /^3 problems in the stack config \(Pulumi\.staging\.yaml\); nothing was deployed:/,
    );
});

test("the committed staging config with its secret set is valid (the cases above fail for their own reason)", () => {
    const { config, secretKeys } = base();
    const parsed = parseStackConfig({
        config,
        isSecret: (k) => secretKeys.includes(k),
        file: "Pulumi.staging.yaml",
    });
    assert.equal(parsed.services[0].name, "api");
    assert.equal(parsed.secretValues.stripeApiKey, "sk_test_staging_value");
});
