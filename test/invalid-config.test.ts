/**
 * Bad stack config: every problem names its config key and the stack file, all problems come at
 * once, and the program throws before a single resource is registered. Each case starts from the
 * committed staging file and changes one thing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../scripts/offline";
import { ConfigError, parseStackConfig } from "../components/config";

const ROOT = path.resolve(__dirname, "..");
const base = (stack = "staging") => {
    const { config, secretKeys } = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), [], []);
    config["service-deploy:stripeApiKey"] = "sk_test_staging_value";
    // The Slack destination's secret the committed stacks declare (docs/notifications.md).
    const slack = stack === "gcp-staging" ? "slackBotToken" : "slackWebhookUrl";
    config[`service-deploy:${slack}`] = "https://hooks.slack.com/services/T0/B0/staging";
    return { config, secretKeys: [...secretKeys, "service-deploy:stripeApiKey", `service-deploy:${slack}`] };
};
const obj = (c: Record<string, string>, k: string) => JSON.parse(c[`service-deploy:${k}`]);
const set = (c: Record<string, string>, k: string, v: unknown) => {
    c[`service-deploy:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
};
const svc = (c: Record<string, string>, f: (s: any) => void) => {
    const s = obj(c, "services");
    f(s[0]);
    set(c, "services", s);
};

interface Case {
    name: string;
    mutate: (c: Record<string, string>, secretKeys: string[]) => void;
    key: string;
    message: RegExp;
    stack?: string;
}
const cr = (c: Record<string, string>, f: (cloudRun: any) => void) => svc(c, (s) => f(s.cloudRun));

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
        message: /3000 MiB is not a Fargate size for 1 vCPU; choose one of 2048-8192/,
    },
    {
        name: "an image by mutable tag",
        mutate: (c) =>
            svc(c, (s) => {
                s.image = { ref: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:latest" };
            }),
        key: "service-deploy:services[0].image.ref",
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
        message: /./,
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
        message:
            /stored in plain text in Pulumi\.staging\.yaml; remove it and run: pulumi config set --secret stripeApiKey <value>/,
    },
    {
        name: "a declared config secret that is not set",
        mutate: (c) => {
            delete c["service-deploy:stripeApiKey"];
        },
        key: "service-deploy:stripeApiKey",
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
        message: /never confirms.*notifications\.destinations/,
    },
    {
        name: "a Slack destination without its secret",
        mutate: (c) => set(c, "notifications", { destinations: [{ name: "oncall", type: "slack" }] }),
        key: "service-deploy:notifications.destinations[0].webhookSecret",
        message: /aws or vm, where alarms reach Slack through an incoming webhook: name the declared secret/,
    },
    {
        name: "a Slack destination whose secret is not declared",
        mutate: (c) =>
            set(c, "notifications", {
                destinations: [{ name: "oncall", type: "slack", webhookSecret: "slackWebhok" }],
            }),
        key: "service-deploy:notifications.destinations[0].webhookSecret",
        message: /"slackWebhok", which is not declared.*pulumi config set --secret slackWebhok/,
    },
    {
        name: "a PagerDuty key from a generated secret",
        mutate: (c) =>
            set(c, "notifications", {
                destinations: [{ name: "pager", type: "pagerduty", integrationKeySecret: "sessionSecret" }],
            }),
        key: "service-deploy:notifications.destinations[0].integrationKeySecret",
        message: /is generated, but a vendor issues this value/,
    },
    {
        name: "an e-mail destination that is not an address",
        mutate: (c) =>
            set(c, "notifications", {
                destinations: [{ name: "ops", type: "email", address: "ops-at-example" }],
            }),
        key: "service-deploy:notifications.destinations[0].address",
        message: /must be an e-mail address/,
    },
    {
        name: "a destination of an unknown type",
        mutate: (c) => set(c, "notifications", { destinations: [{ name: "ops", type: "teams" }] }),
        key: "service-deploy:notifications.destinations[0].type",
        message: /"email", "slack", "pagerduty", "webhook"/,
    },
    {
        name: "a destination that hears nothing",
        mutate: (c) =>
            set(c, "notifications", {
                destinations: [{ name: "ops", type: "email", address: "ops@example.com", events: [] }],
            }),
        key: "service-deploy:notifications.destinations[0].events",
        message: /at least one of alerts, rollbacks, recoveries/,
    },
    {
        name: "a webhook URL pasted where the secret's name goes",
        mutate: (c) =>
            set(c, "notifications", {
                destinations: [{ name: "ops", type: "webhook", urlSecret: "https://ops.example.com/hook" }],
            }),
        key: "service-deploy:notifications.destinations[0].urlSecret",
        message: /not declared/,
    },
    {
        name: "two destinations with one name",
        mutate: (c) =>
            set(c, "notifications", {
                destinations: [
                    { name: "ops", type: "email", address: "a@example.com" },
                    { name: "ops", type: "email", address: "b@example.com" },
                ],
            }),
        key: "service-deploy:notifications.destinations[1].name",
        message: /duplicate destination name "ops"/,
    },
    {
        stack: "gcp-staging",
        name: "a Slack destination on gcp without the app's channel",
        mutate: (c, keys) => {
            const secrets = obj(c, "secrets");
            secrets.slackWebhook = { source: "config" };
            set(c, "secrets", secrets);
            c["service-deploy:slackWebhook"] = "https://hooks.slack.com/services/T0/B0/x";
            keys.push("service-deploy:slackWebhook");
            set(c, "notifications", {
                destinations: [{ name: "oncall", type: "slack", webhookSecret: "slackWebhook" }],
            });
        },
        key: "service-deploy:notifications.destinations[0].channel",
        message: /gcp, whose slack notification channel posts as a Slack app/,
    },
    {
        stack: "gcp-staging",
        name: "an arm64 service on Cloud Run",
        mutate: (c) =>
            svc(c, (s) => {
                s.architecture = "arm64";
            }),
        key: "service-deploy:services[0].architecture",
        message:
            /^SD-002: Cloud Run runs linux\/amd64 only; an arm64 image fails there with "exec format error".*see docs\/failures.md#sd-002/,
    },
    {
        stack: "gcp-staging",
        name: "a production Cloud Run service that scales to zero",
        mutate: (c) => {
            set(c, "environment", "production");
            cr(c, (x) => {
                x.minInstances = 0;
            });
        },
        key: "service-deploy:services[0].cloudRun.minInstances",
        message: /production keeps at least 1 instance warm/,
    },
    {
        stack: "gcp-staging",
        name: "a canary without the revision serving the rest",
        mutate: (c) =>
            cr(c, (x) => {
                x.traffic = { percent: 10 };
            }),
        key: "service-deploy:services[0].cloudRun.traffic.previous",
        message: /gets 10%, so name the revision serving the other 90% \(the servingRevision output\)/,
    },
    {
        stack: "gcp-staging",
        name: "a startup probe period beyond Cloud Run's 240 s",
        mutate: (c) =>
            cr(c, (x) => {
                x.startupProbe = { periodSeconds: 300 };
            }),
        key: "service-deploy:services[0].cloudRun.startupProbe.periodSeconds",
        message: /at most 240 s/,
    },
    {
        stack: "gcp-staging",
        name: "a Cloud Run service setting K_SERVICE, which Cloud Run sets itself",
        mutate: (c) =>
            svc(c, (s) => {
                s.env.K_SERVICE = { value: "api" };
            }),
        key: "service-deploy:services[0].env.K_SERVICE",
        message: /Cloud Run sets K_SERVICE itself and refuses a revision that sets it/,
    },
    {
        stack: "gcp-staging",
        name: "a Cloud Run service setting PORT to a literal",
        mutate: (c) =>
            svc(c, (s) => {
                s.env.PORT = { value: "9000" };
            }),
        key: "service-deploy:services[0].env.PORT",
        message: /Cloud Run sets PORT itself to the container port.*\{ from: service\.port \}/,
    },
    {
        stack: "gcp-staging",
        name: "Cloud SQL on a private IP with no subnet for Direct VPC egress (unix socket)",
        mutate: (c) => {
            const g = obj(c, "gcp");
            delete g.subnetwork;
            set(c, "gcp", g);
        },
        key: "service-deploy:gcp.subnetwork",
        message:
            /Cloud SQL has a private IP only, so Cloud Run reaches it through Direct VPC egress \(unix-socket too/,
    },
    {
        stack: "gcp-staging",
        name: "one Cloud SQL backup, which point-in-time recovery logs cannot stay below",
        mutate: (c) => {
            const d = obj(c, "database");
            d.backupRetentionDays = 1;
            set(c, "database", d);
        },
        key: "service-deploy:database.backupRetentionDays",
        message: /keep at least 2 backups/,
    },
    {
        stack: "gcp-staging",
        name: "a startup probe that outlasts Cloud Run's 240 s window",
        mutate: (c) =>
            cr(c, (x) => {
                x.startupProbe = { periodSeconds: 10, failureThreshold: 30 };
            }),
        key: "service-deploy:services[0].cloudRun.startupProbe.failureThreshold",
        message: /failureThreshold x periodSeconds is 300 s; Cloud Run allows a startup probe at most 240 s/,
    },
    {
        stack: "gcp-staging",
        name: "a Cloud Run service name too long for its revision tags (46 with the tag)",
        mutate: (c) =>
            svc(c, (s) => {
                s.name = "payments-api-eu-west-primary";
            }),
        key: "service-deploy:services[0].name",
        message:
            /at most 46 characters for a service name and a tag together; revision tags take 23, so a Cloud Run service name may have at most 23 \(got 28\)/,
    },
    {
        stack: "gcp-staging",
        name: "a previous revision Cloud Run named, not this project",
        mutate: (c) =>
            cr(c, (x) => {
                x.traffic = { percent: 0, previous: "api-00042-abc" };
            }),
        key: "service-deploy:services[0].cloudRun.traffic.previous",
        message: /must be a revision name from the servingRevision output, e.g\. api-4f2a9c1e7b3d-0a1b2c/,
    },
    {
        stack: "gcp-staging",
        name: "Cloud Run below 1 vCPU serving 80 requests at once",
        mutate: (c) =>
            svc(c, (s) => {
                s.vcpu = 0.5;
            }),
        key: "service-deploy:services[0].vcpu",
        message: /below 1 vCPU Cloud Run serves one request at a time/,
    },
    {
        stack: "gcp-staging",
        name: "a gcp service without the provider's project",
        mutate: (c) => {
            delete c["gcp:project"];
        },
        key: "gcp:project",
        message: /pulumi config set gcp:project <project-id>/,
    },
    {
        stack: "gcp-staging",
        name: "private-IP database access without a subnetwork",
        mutate: (c) =>
            set(c, "gcp", { network: "projects/p/global/networks/v", databaseConnection: "private-ip" }),
        key: "service-deploy:gcp.network",
        message: /private-ip needs gcp\.network and gcp\.subnetwork/,
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
];

// The program runs under mocks that count registrations: a bad config must register none.
let registered = 0;
const ready = pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            registered++;
            return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => {
            throw new Error("no invoke expected");
        },
    },
    "service-deploy",
    "staging",
    true,
);

function runProgram(config: Record<string, string>, secretKeys: string[]): Error | undefined {
    pulumi.runtime.setAllConfig(config, secretKeys);
    const program = require.resolve(path.join(ROOT, "index.ts"));
    delete require.cache[program];
    try {
        require(program);
        return undefined;
    } catch (e) {
        return e as Error;
    }
}

test("at least 15 distinct invalid configs are covered", () => {
    assert.ok(cases.length >= 15, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
});

for (const c of cases) {
    test(`invalid config is refused, naming ${c.key}, with nothing registered: ${c.name}`, async () => {
        await ready;
        const { config, secretKeys } = base(c.stack);
        c.mutate(config, secretKeys);
        registered = 0;
        const err = runProgram(config, secretKeys);
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        const line = err.problems.find((p) => p.key === c.key);
        assert.ok(line, `a problem names ${c.key}; got: ${err.problems.map((p) => p.key).join(", ")}`);
        assert.match(line.message, c.message);
        assert.match(
            err.message,
            new RegExp(`Pulumi\\.staging\\.yaml: ${c.key.replace(/[.[\]$]/g, "\\$&")}: `),
        );
        assert.equal(registered, 0, "no resource registered");
    });
}

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
