/**
 * The AWS stack suite, runtime: secrets and DATABASE_URL, security groups, TLS, alarms, no plain
 * secret anywhere, the network, and the image.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { SuiteContext } from "./aws-suite";

export function runtimeTests({ e, graph, stackFile, testCidr }: SuiteContext): void {
    test(`${e.stack}: every secret reaches the task through valueFrom, never environment`, async () => {
        const g = await graph();
        const td = g.inputs(g.one("aws:ecs/taskDefinition:TaskDefinition"));
        const [c] = JSON.parse(td.containerDefinitions);
        const contract = stackFile["service-deploy:services"][0].env as Record<string, any>;
        const secretNames = Object.entries(contract)
            .filter(([, v]) => "secret" in v || v.from === "database.url" || v.from === "database.password")
            .map(([k]) => k)
            .sort();
        assert.deepEqual(
            c.secrets.map((s: any) => s.name),
            secretNames,
        );
        // Pinned to the version this up wrote, so a changed value rolls a deployment.
        const versionId = g.one("aws:secretsmanager/secretVersion:SecretVersion", "aws-api-env").state
            .versionId;
        assert.match(String(versionId), /^[0-9a-f-]{36}$/);
        for (const s of c.secrets)
            assert.match(
                s.valueFrom,
                new RegExp(
                    `^arn:aws:secretsmanager:ap-northeast-1:\\d{12}:secret:aws-api-env-\\w+:${s.name}::${versionId}$`,
                ),
            );
        const envNames = c.environment.map((x: any) => x.name);
        for (const n of secretNames) assert.ok(!envNames.includes(n), `${n} is not in environment`);
        assert.deepEqual(
            envNames,
            Object.keys(contract)
                .filter((k) => !secretNames.includes(k))
                .sort(),
        );
        assert.match(c.image, /@sha256:[0-9a-f]{64}$/);
        assert.deepEqual(td.runtimePlatform, { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" });
        assert.equal(
            td.family,
            `service-deploy-${e.stack}-api`,
            "families are account-wide, so they carry the stack",
        );
        assert.equal(td.cpu, e.cpu);
        assert.equal(td.memory, e.memory);
        assert.equal(c.logConfiguration.logDriver, "awslogs");
        // The secret holds exactly those keys, and the execution role may read that one secret only.
        const version = g.inputs(g.one("aws:secretsmanager/secretVersion:SecretVersion", "aws-api-env"));
        assert.deepEqual(Object.keys(JSON.parse(version.secretString)).sort(), secretNames);
        const policy = JSON.parse(
            g.inputs(g.one("aws:iam/rolePolicy:RolePolicy", "aws-api-execution-secrets")).policy,
        );
        assert.deepEqual(policy.Statement, [
            {
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue"],
                Resource: [c.secrets[0].valueFrom.split(":").slice(0, 7).join(":")],
            },
        ]);
        assert.equal(
            g.inputs(g.one("aws:secretsmanager/secret:Secret", "aws-api-env")).recoveryWindowInDays,
            e.recoveryWindowDays,
        );
    });

    test(`${e.stack}: DATABASE_URL in the secret is built from the same database outputs as the parts`, async () => {
        const g = await graph();
        const secret = JSON.parse(
            g.inputs(g.one("aws:secretsmanager/secretVersion:SecretVersion", "aws-api-env")).secretString,
        );
        const db = g.one("aws:rds/instance:Instance");
        const url = new URL(secret.DATABASE_URL);
        assert.equal(url.hostname, `${db.name}.abcdefghijkl.ap-northeast-1.rds.amazonaws.com`);
        assert.equal(url.port, "5432");
        assert.equal(url.pathname, "/app");
        assert.equal(url.username, g.inputs(db).username);
        assert.equal(decodeURIComponent(url.password), g.inputs(db).password);
        // Verified against RDS's CA bundle, which the app's image carries at this path.
        assert.equal(url.searchParams.get("sslmode"), "verify-full");
        assert.equal(url.searchParams.get("sslrootcert"), "/etc/ssl/certs/rds-global-bundle.pem");
    });

    test(`${e.stack}: security groups allow exactly ALB <- world (80/443), test port <- testCidr and the NAT gateways, tasks <- ALB, database <- tasks`, async () => {
        const g = await graph();
        const sg = (name: string) => `${name}-id`;
        const nat = g
            .all("aws:ec2/eip:Eip")
            .map((r) => `${sg("aws-api-alb")} <- ${r.state.publicIp}/32 tcp/8443-8443`);
        const ingress = g
            .all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .map((r) => {
                const i = g.inputs(r);
                return `${i.securityGroupId} <- ${i.cidrIpv4 ?? i.cidrIpv6 ?? i.referencedSecurityGroupId} ${i.ipProtocol}/${i.fromPort}-${i.toPort}`;
            })
            .sort();
        assert.deepEqual(
            ingress,
            [
                `${sg("aws-api-alb")} <- 0.0.0.0/0 tcp/443-443`,
                `${sg("aws-api-alb")} <- 0.0.0.0/0 tcp/80-80`,
                `${sg("aws-api-alb")} <- ${testCidr} tcp/8443-8443`,
                ...nat,
                `${sg("aws-api-tasks")} <- ${sg("aws-api-alb")} tcp/8080-8080`,
                `${sg("aws-pg-db")} <- ${sg("aws-api-tasks")} tcp/5432-5432`,
            ].sort(),
        );
        // No inline rules that would bypass the list above.
        for (const r of g.all("aws:ec2/securityGroup:SecurityGroup")) {
            assert.equal(g.inputs(r).ingress, undefined, `${r.name} has no inline ingress`);
        }
        const albEgress = g
            .all("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            .map((r) => g.inputs(r))
            .filter((i) => i.securityGroupId === sg("aws-api-alb"));
        assert.deepEqual(
            albEgress.map((i) => `${i.referencedSecurityGroupId} ${i.fromPort}`),
            [`${sg("aws-api-tasks")} 8080`],
        );
    });

    test(`${e.stack}: HTTPS uses TLS 1.2+ and the certificate, HTTP only redirects`, async () => {
        const g = await graph();
        const listeners = g.all("aws:lb/listener:Listener").map((r) => g.inputs(r));
        const byPort = Object.fromEntries(listeners.map((l) => [l.port, l]));
        assert.deepEqual(
            Object.keys(byPort)
                .map(Number)
                .sort((a, b) => a - b),
            [80, 443, 8443],
        );
        assert.deepEqual(byPort[80].defaultActions, [
            { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
        ]);
        for (const p of [443, 8443]) {
            assert.equal(byPort[p].protocol, "HTTPS");
            assert.equal(byPort[p].sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
            assert.equal(byPort[p].certificateArn, stackFile["service-deploy:aws"].certificateArn);
        }
        assert.equal(g.inputs(g.one("aws:lb/loadBalancer:LoadBalancer")).dropInvalidHeaderFields, true);
    });

    test(`${e.stack}: alarms use the default thresholds and notify the topic`, async () => {
        const g = await graph();
        const alarms = Object.fromEntries(
            g
                .all("aws:cloudwatch/metricAlarm:MetricAlarm")
                .map((r) => [g.inputs(r).name.replace(`service-deploy-${e.stack}-`, ""), g.inputs(r)]),
        );
        assert.deepEqual(
            Object.keys(alarms).sort(),
            [
                "api-5xx-rate",
                "api-cpu",
                "api-memory",
                "api-p95-latency",
                "api-rollback-5xx",
                "api-rollback-p95",
                "api-rollback-unhealthy",
                "api-unhealthy-blue",
                "api-unhealthy-green",
                "db-connections",
                "db-cpu",
                "db-free-storage",
            ].sort(),
        );
        const rate = alarms["api-5xx-rate"];
        assert.equal(rate.threshold, 5);
        assert.equal(rate.evaluationPeriods, 5);
        assert.deepEqual(
            rate.metricQueries.map((q: any) => q.metric?.metricName ?? q.expression),
            ["HTTPCode_Target_5XX_Count", "RequestCount", "IF(requests > 0, 100 * errors / requests, 0)"],
        );
        assert.equal(alarms["api-p95-latency"].extendedStatistic, "p95");
        assert.equal(alarms["api-p95-latency"].threshold, 0.5);
        assert.equal(alarms["api-p95-latency"].evaluationPeriods, 10);
        assert.equal(alarms["api-rollback-5xx"].threshold, 10);
        assert.equal(alarms["api-rollback-p95"].threshold, 1);
        assert.equal(alarms["api-unhealthy-blue"].comparisonOperator, "GreaterThanOrEqualToThreshold");
        assert.equal(alarms["api-unhealthy-blue"].threshold, 1);
        assert.equal(alarms["api-cpu"].threshold, 80);
        assert.equal(alarms["api-memory"].threshold, 85);
        assert.equal(alarms["db-cpu"].threshold, 80);
        assert.equal(alarms["db-free-storage"].comparisonOperator, "LessThanThreshold");
        const topic = `arn:aws:sns:ap-northeast-1:123456789012:topic/aws-topic-alarms`;
        for (const a of Object.values(alarms) as any[]) assert.deepEqual(a.alarmActions, [topic]);
        const subs = g.all("aws:sns/topicSubscription:TopicSubscription").map((r) => g.inputs(r));
        // E-mail subscriptions, and the alarm forwarder when the stack has Slack, PagerDuty or webhook destinations.
        const forwarded = (stackFile["service-deploy:notifications"]?.destinations ?? []).some(
            (d: { type: string }) => d.type !== "email",
        );
        assert.deepEqual(
            subs.map((s) => [s.protocol, s.endpoint]),
            [
                ...stackFile["service-deploy:alarms"].emails.map((m: string) => ["email", m]),
                ...(forwarded
                    ? [["lambda", "arn:aws:lambda:ap-northeast-1:123456789012:function/aws-topic-notify-fn"]]
                    : []),
            ],
        );
    });

    test(`${e.stack}: no secret value appears in any plain resource input or stack output`, async () => {
        const g = await graph();
        const secrets = g.result.secretValues;
        assert.ok(secrets.length >= 3, `the run knows its secrets (${secrets.length})`);
        const plain =
            JSON.stringify(g.result.resources.map((r) => g.redacted(r))) + JSON.stringify(g.result.outputs);
        const leaks = secrets.filter((s) => plain.includes(s));
        assert.deepEqual(leaks, []);
        // The scan can find them: unredacted, each secret is somewhere (the Secrets Manager version).
        const raw = JSON.stringify(g.result.resources.map((r) => g.inputs(r)));
        for (const s of secrets.filter((x) => !x.startsWith("offline-ecr")))
            assert.ok(raw.includes(s), `secret ${s.slice(0, 12)}... is delivered somewhere`);
    });

    test(`${e.stack}: the network spans 2 AZs with ${e.natGateways} NAT gateway(s), tasks and database in private subnets`, async () => {
        const g = await graph();
        const subnets = g.all("aws:ec2/subnet:Subnet").map((r) => g.inputs(r));
        assert.equal(subnets.length, 4);
        assert.deepEqual(new Set(subnets.map((s) => s.availabilityZone)).size, 2);
        assert.equal(g.all("aws:ec2/natGateway:NatGateway").length, e.natGateways);
        const privateIds = g
            .all("aws:ec2/subnet:Subnet")
            .filter((r) => r.name.includes("private"))
            .map((r) => `${r.name}-id`)
            .sort();
        assert.deepEqual(
            [...g.inputs(g.one("aws:ecs/service:Service")).networkConfiguration.subnets].sort(),
            privateIds,
        );
        assert.deepEqual(
            [...g.inputs(g.one("aws:rds/subnetGroup:SubnetGroup")).subnetIds].sort(),
            privateIds,
        );
    });

    test(`${e.stack}: the image is ${e.builds ? "built for amd64+arm64 into an immutable ECR repository" : "pinned by digest and builds nothing"}`, async () => {
        const g = await graph();
        const builds = g.all("docker-build:index:Image");
        const repoRes = g.one("aws:ecr/repository:Repository");
        const repo = g.inputs(repoRes);
        assert.equal(repo.imageTagMutability, "IMMUTABLE");
        assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
        const lifecycles = g.all("aws:ecr/lifecyclePolicy:LifecyclePolicy").map((r) => g.inputs(r));
        if (e.builds) {
            const b = g.inputs(builds[0]);
            assert.deepEqual(b.platforms, ["linux/amd64", "linux/arm64"]);
            assert.equal(b.push, true);
            // Unique per build: the build's inputs hashed, and the last commit that changed ./app.
            const commit = spawnSync("git", ["log", "-1", "--format=%H", "--", "app"], {
                encoding: "utf8",
            }).stdout.trim();
            assert.match(
                b.tags[0],
                new RegExp(
                    `^123456789012\\.dkr\\.ecr\\.ap-northeast-1\\.amazonaws\\.com/api:src-[0-9a-f]{12}-${commit.slice(0, 12)}$`,
                ),
            );
            assert.equal(
                g.redacted(builds[0]).registries[0].password ?? g.redacted(builds[0]).registries,
                "[secret]",
            );
            // Staging's repository is its own to empty: force-deleted with the stack, untagged expire.
            assert.equal(repo.name, "api");
            assert.equal(repo.forceDelete, true);
            assert.equal(lifecycles.length, 1);
        } else {
            assert.equal(builds.length, 0);
            assert.equal(
                g.result.outputs.services && (g.result.outputs.services as any).api.image,
                stackFile["service-deploy:services"][0].image.ref,
            );
            // Production pulls from a repository of its own, which no other stack can delete:
            // never force-deleted, protected, and nothing in it expires.
            assert.equal(repo.name, `${e.stack}/api`);
            assert.equal(repo.forceDelete, false);
            assert.equal(repoRes.options.protect, true);
            assert.deepEqual(lifecycles, []);
            const task = g.inputs(g.one("aws:ecs/taskDefinition:TaskDefinition"));
            const [c] = JSON.parse(task.containerDefinitions);
            assert.equal(c.image.split("@")[0], repoRes.state.repositoryUrl);
        }
        const out = (g.result.outputs.services as any).api;
        assert.deepEqual(out.platforms, ["linux/amd64", "linux/arm64"]);
        assert.match(out.image, /@sha256:[0-9a-f]{64}$/);
        assert.match(out.url, /^https:\/\//);
        assert.match(out.testUrl, /:8443$/);
        assert.equal(out.serviceName, "api");
        assert.match(g.result.outputs.databaseEndpoint as string, /:5432$/);
        assert.match(g.result.outputs.alarmTopicArn as string, /^arn:aws:sns:/);
    });
}
