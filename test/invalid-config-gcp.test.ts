/**
 * Bad stack config of notifications, Cloud Run and Cloud SQL: each case starts from a committed
 * stack file and changes one thing (the harness is invalid-config-suite.ts).
 */
import { type Case, cr, invalidConfigTests, obj, set, svc } from "./invalid-config-suite";

const gcpCases: Case[] = [
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
        code: "SD-010",
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
        code: "SD-010",
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
        code: "SD-002",
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
        name: "an internal-only ingress the release's smoke test cannot reach",
        mutate: (c) =>
            cr(c, (x) => {
                x.ingress = "internal-and-cloud-load-balancing";
            }),
        key: "service-deploy:services[0].cloudRun.ingress",
        message:
            /internal-and-cloud-load-balancing refuses requests to the run.app tag URL.*use ingress: all with public: false, which keeps the service IAM-private/,
    },
    {
        stack: "gcp-staging",
        name: "a canary without the revision serving the rest",
        mutate: (c) =>
            cr(c, (x) => {
                x.traffic = { percent: 10 };
            }),
        key: "service-deploy:services[0].cloudRun.traffic.previous",
        code: "SD-020",
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
        code: "SD-015",
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
        code: "SD-019",
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
        code: "SD-019",
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
        code: "SD-015",
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
        code: "SD-020",
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
        code: "SD-025",
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
];

invalidConfigTests(gcpCases);
