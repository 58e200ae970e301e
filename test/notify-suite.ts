/**
 * The committed staging stacks under mocks: each carries a Slack destination; no SNS subscription
 * is one that cannot confirm; every destination's URL, token or key reaches only a secret store
 * (Secrets Manager, a GCP channel's sensitive labels, the VM's 0600 secret file), always as a
 * Pulumi secret, and never the plan's printed inputs or the forwarder's environment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { graphOf, redact, unwrap, type Graph } from "./mocks";

/**
 * The committed staging stack with a PagerDuty, a webhook and a filtered e-mail destination
 * added to its own (the file's values, two keys extended), so every destination type is checked.
 */
function stagingWithEveryType(): Record<string, unknown> {
    const file = YAML.parse(
        fs.readFileSync(path.join(__dirname, "..", "Pulumi.staging.yaml"), "utf8"),
    ).config;
    return {
        "service-deploy:secrets": {
            ...file["service-deploy:secrets"],
            pagerdutyKey: { source: "config" },
            opsHookUrl: { source: "config" },
        },
        "service-deploy:notifications": {
            destinations: [
                ...file["service-deploy:notifications"].destinations,
                {
                    name: "pager",
                    type: "pagerduty",
                    integrationKeySecret: "pagerdutyKey",
                    events: ["alerts", "rollbacks"],
                },
                { name: "ops-hook", type: "webhook", urlSecret: "opsHookUrl" },
                { name: "ops-mail", type: "email", address: "ops@example.com", events: ["recoveries"] },
            ],
        },
    };
}

// One offline run per process: each stack's test file (test/notify-<target>.test.ts) calls
// notifySuite once with its stack.
let graph: Graph | undefined;
const load = async (stack: string) =>
    (graph ??= await graphOf(stack, { overrides: stack === "staging" ? stagingWithEveryType() : {} }));

/** Where a destination's secret may go, per stack. */
const STORES: Record<string, string[]> = {
    staging: ["aws:secretsmanager/secretVersion:SecretVersion"],
    "gcp-staging": ["gcp:monitoring/notificationChannel:NotificationChannel"],
    "vm-staging": ["aws:secretsmanager/secretVersion:SecretVersion", "command:remote:CopyToRemote"],
};
const SECRET_OF: Record<string, string[]> = {
    staging: ["slackWebhookUrl", "pagerdutyKey", "opsHookUrl"],
    "gcp-staging": ["slackBotToken"],
    "vm-staging": ["oncallWebhook"],
};

export function notifySuite(stack: "staging" | "gcp-staging" | "vm-staging"): void {
    test(`${stack}: every destination's secret reaches only a secret store, as a secret, never printed`, async () => {
        const g = await load(stack);
        for (const name of SECRET_OF[stack]) {
            const value = `offline-placeholder-for-${name}`;
            const holders = g.result.resources.filter((r) =>
                JSON.stringify(unwrap(r.inputs)).includes(value),
            );
            assert.ok(holders.length > 0, `${name} reaches some resource`);
            for (const r of holders) {
                assert.ok(
                    STORES[stack].includes(r.type),
                    `${name} reaches ${r.type} ${r.name}, not a secret store`,
                );
                assert.ok(!JSON.stringify(redact(r.inputs)).includes(value), `${r.name} prints ${name}`);
            }
        }
    });

    test(`${stack}: no SNS subscription is http or https (SNS would wait forever for its confirmation)`, async () => {
        const g = await load(stack);
        const subs = g.all("aws:sns/topicSubscription:TopicSubscription").map((s) => g.inputs(s).protocol);
        assert.deepEqual(
            subs.filter((p) => p === "http" || p === "https"),
            [],
        );
    });

    if (stack === "staging") stagingChecks();
    if (stack === "vm-staging") vmChecks();
    if (stack === "gcp-staging") gcpChecks();
}

function stagingChecks(): void {
    test("staging: the forwarder is subscribed with protocol lambda, SNS may invoke it, and it reads only its destinations' secrets, by ARN", async () => {
        const g = await load("staging");
        const fn = g.one("aws:lambda/function:Function", "aws-topic-notify-fn");
        const f = g.inputs(fn);
        assert.equal(f.runtime, "nodejs20.x");
        assert.equal(f.handler, "index.handler");
        const dests = JSON.parse(f.environment.variables.DESTINATIONS);
        assert.deepEqual(
            dests.map((d: { name: string; type: string; events: string[] }) => [
                d.name,
                d.type,
                d.events.join(","),
            ]),
            [
                ["oncall-slack", "slack", "alerts,rollbacks,recoveries"],
                ["pager", "pagerduty", "alerts,rollbacks"],
                ["ops-hook", "webhook", "alerts,rollbacks,recoveries"],
            ],
        );
        const secrets = ["oncall-slack", "pager", "ops-hook"].map((n) =>
            g.one("aws:secretsmanager/secret:Secret", `aws-topic-notify-${n}`),
        );
        assert.deepEqual(
            dests.map((d: { secretArn: string }) => d.secretArn),
            secrets.map((x) => x.state.arn),
        );
        assert.ok(
            !f.environment.variables.DESTINATIONS.includes("offline-placeholder"),
            "no secret value in the environment",
        );
        const topic = g.one("aws:sns/topic:Topic", "aws-topic-alarms");
        const sub = g
            .all("aws:sns/topicSubscription:TopicSubscription")
            .find((s) => g.inputs(s).protocol === "lambda")!;
        assert.equal(g.inputs(sub).endpoint, fn.state.arn);
        assert.equal(g.inputs(sub).topic, topic.state.arn);
        const perm = g.inputs(g.one("aws:lambda/permission:Permission"));
        assert.equal(perm.principal, "sns.amazonaws.com");
        assert.equal(perm.sourceArn, topic.state.arn);
        const policy = JSON.parse(
            g.inputs(g.one("aws:iam/rolePolicy:RolePolicy", "aws-topic-notify-policy")).policy,
        );
        assert.deepEqual(policy.Statement[0], {
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: secrets.map((x) => x.state.arn),
        });
        // An e-mail destination that hears only recoveries gets only OK through SNS's filter.
        const mail = g.inputs(
            g.one("aws:sns/topicSubscription:TopicSubscription", "aws-topic-dest-ops-mail"),
        );
        assert.equal(mail.endpoint, "ops@example.com");
        assert.equal(mail.filterPolicyScope, "MessageBody");
        assert.deepEqual(JSON.parse(mail.filterPolicy), { NewStateValue: ["OK"] });
        // The e-mail address stays an SNS e-mail subscription, under its old logical name.
        assert.equal(
            g.inputs(g.one("aws:sns/topicSubscription:TopicSubscription", "aws-topic-email-0")).endpoint,
            "oncall-staging@example.com",
        );
    });
}

function vmChecks(): void {
    test("vm-staging: the watchdog's destinations file names the environment, the runbook and the Slack URL once", async () => {
        const g = await load("vm-staging");
        const file = g.one("command:remote:CopyToRemote", "vm-api-oci-arm-1-webhook");
        assert.equal(g.redacted(file).source, "[secret]");
        const text = JSON.stringify(g.inputs(file).source);
        // oncallWebhook is both vm.watchdog.webhookSecret and the Slack destination: one line, not two posts.
        assert.ok(
            text.includes(
                JSON.stringify(
                    "#environment staging\n#runbook docs/notifications.md\nslack\talerts,rollbacks,recoveries\toffline-placeholder-for-oncallWebhook\n",
                ).slice(1, -1),
            ),
            text,
        );
    });

    test("vm-staging: the Route 53 uptime alarms' topic in us-east-1 has the same Slack destination through a forwarder", async () => {
        const g = await load("vm-staging");
        const fn = g.one("aws:lambda/function:Function");
        assert.match(g.inputs(fn).name, /-api-uptime-notify$/);
        const ctx = JSON.parse(g.inputs(fn).environment.variables.ALARM_CONTEXT);
        assert.equal(ctx.target, "vm");
        const dests = JSON.parse(g.inputs(fn).environment.variables.DESTINATIONS);
        assert.deepEqual(
            dests.map((d: { name: string }) => d.name),
            ["oncall-slack"],
        );
        for (const a of g.all("aws:cloudwatch/metricAlarm:MetricAlarm"))
            assert.deepEqual(g.inputs(a).alarmActions, [g.one("aws:sns/topic:Topic").state.arn]);
    });
}

function gcpChecks(): void {
    test("gcp-staging: Slack is a slack channel posting to the channel with the app's token as a sensitive label", async () => {
        const g = await load("gcp-staging");
        const slack = g
            .all("gcp:monitoring/notificationChannel:NotificationChannel")
            .find((c) => g.inputs(c).type === "slack")!;
        assert.ok(slack, "a slack channel exists");
        assert.deepEqual(g.inputs(slack).labels, { channel_name: "#oncall-staging" });
        assert.deepEqual(g.inputs(slack).sensitiveLabels, {
            authToken: "offline-placeholder-for-slackBotToken",
        });
        assert.equal(g.redacted(slack).sensitiveLabels, "[secret]");
        for (const p of g.all("gcp:monitoring/alertPolicy:AlertPolicy"))
            assert.ok(
                g.inputs(p).notificationChannels.includes(slack.state.name),
                `${p.name} notifies Slack`,
            );
    });
}
