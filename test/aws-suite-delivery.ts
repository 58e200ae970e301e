/**
 * The AWS stack suite, delivery: the stack file's placeholders, access logs, the smoke hook, AWS's
 * API models, the up's timeouts, the database's protection, blue-green and the listener rules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ECS_OWNS_RULE_ACTIONS } from "../components/aws/alb-blue-green";
import { awsChecker } from "../scripts/conformance/aws";
import type { SuiteContext } from "./aws-suite";

export function deliveryTests({ e, graph, stackFile, testCidr }: SuiteContext): void {
    test(`${e.stack}: the plan lists the stack file's placeholders as not verified offline`, async () => {
        const g = await graph();
        for (const key of [
            "service-deploy:aws.certificateArn",
            "service-deploy:blueGreen.testCidr",
            "service-deploy:alarms.emails[0]",
        ])
            assert.ok(
                g.result.notes.some((n) => n.startsWith(`${key}: `) && /placeholder/.test(n)),
                `${key} is listed: ${g.result.notes.join(" | ")}`,
            );
    });

    test(`${e.stack}: ${e.deletionProtection ? "the ALB logs every request to an encrypted, private bucket with a lifecycle" : "no access-log bucket outside production"}`, async () => {
        const g = await graph();
        const lb = g.inputs(g.one("aws:lb/loadBalancer:LoadBalancer"));
        const buckets = g.all("aws:s3/bucket:Bucket");
        if (!e.deletionProtection) {
            assert.equal(lb.accessLogs, undefined);
            assert.equal(buckets.length, 0);
            return;
        }
        const bucket = g.one("aws:s3/bucket:Bucket");
        assert.deepEqual(lb.accessLogs, { bucket: bucket.state.id, prefix: "alb", enabled: true });
        const of = (type: string) =>
            g
                .all(type)
                .map((r) => g.inputs(r))
                .find((x: any) => x.bucket === bucket.state.id);
        assert.deepEqual(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), {
            bucket: bucket.state.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        assert.equal(
            of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
                .rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
            "AES256",
        );
        assert.ok(
            of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules[0].expiration.days >
                0,
        );
        const policy = JSON.parse(of("aws:s3/bucketPolicy:BucketPolicy").policy);
        assert.deepEqual(policy.Statement[0].Principal, { AWS: "arn:aws:iam::582318560864:root" });
        assert.match(policy.Statement[0].Resource, /\/alb\/AWSLogs\/123456789012\/\*$/);
        // The load balancer waits for the policy: ALB checks it can write when logging is turned on.
        const policyUrn = g.one("aws:s3/bucketPolicy:BucketPolicy").urn;
        assert.ok(g.one("aws:lb/loadBalancer:LoadBalancer").dependencies.includes(policyUrn));
    });

    test(`${e.stack}: ECS runs the smoke hook on the test listener before production traffic moves`, async () => {
        const g = await graph();
        const svc = g.inputs(g.one("aws:ecs/service:Service"));
        const fn = g.one("aws:lambda/function:Function", "aws-api-smoke-fn");
        const [hook] = svc.deploymentConfiguration.lifecycleHooks;
        assert.deepEqual(hook.lifecycleStages, ["POST_TEST_TRAFFIC_SHIFT"]);
        assert.equal(hook.hookTargetArn, fn.state.arn);
        const role = g.all("aws:iam/role:Role").find((r) => r.state.arn === hook.roleArn)!;
        assert.deepEqual(JSON.parse(g.inputs(role).assumeRolePolicy).Statement[0].Principal, {
            Service: "ecs.amazonaws.com",
        });
        const invoke = g
            .all("aws:iam/rolePolicy:RolePolicy")
            .map((r) => g.inputs(r))
            .find((p: any) => p.role === role.state.id);
        assert.deepEqual(JSON.parse(invoke.policy).Statement, [
            {
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: [fn.state.arn, `${fn.state.arn}:*`],
            },
        ]);
        // The function runs in the private subnets and calls the test listener's URL.
        const f = g.inputs(fn);
        assert.equal(f.runtime, "nodejs20.x");
        assert.match(f.vpcConfig.subnetIds[0], /private/);
        const services = (g.result.outputs.services as any).api;
        assert.equal(f.environment.variables.SMOKE_BASE_URL, services.testUrl);
        assert.equal(f.environment.variables.SMOKE_HEALTH_PATH, "/health");
        // Its requests leave through NAT: the test listener admits every NAT gateway's address.
        const natIps = g
            .all("aws:ec2/eip:Eip")
            .map((r) => `${r.state.publicIp}/32`)
            .sort();
        const testPort = stackFile["service-deploy:blueGreen"].testListenerPort;
        const admitted = g
            .all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .map((r) => g.inputs(r))
            .filter((r: any) => r.fromPort === testPort)
            .map((r: any) => r.cidrIpv4)
            .sort();
        assert.deepEqual(admitted, [...natIps, testCidr].sort());
    });

    test(`${e.stack}: AWS's API models accept every request the stack sends`, async () => {
        const g = await graph();
        assert.deepEqual(awsChecker(g.result.resources), []);
    });

    test(`${e.stack}: pulumi up waits through the hooks and the whole bake without timing out`, async () => {
        const g = await graph();
        const svc = g.one("aws:ecs/service:Service");
        const bake = Number(g.inputs(svc).deploymentConfiguration.bakeTimeInMinutes);
        const t = svc.options.customTimeouts;
        assert.ok(t?.update && t.create, "create and update timeouts are set");
        const minutes = Number(/^(\d+)m$/.exec(t.update)?.[1]);
        assert.ok(
            minutes >= 20 + bake,
            `update timeout ${t.update} covers 20 min of task start plus the ${bake} min bake`,
        );
        assert.equal(t.create, t.update);
    });

    test(`${e.stack}: the database is sized and protected as the environment requires`, async () => {
        const g = await graph();
        const db = g.inputs(g.one("aws:rds/instance:Instance"));
        assert.equal(db.engine, "postgres");
        assert.equal(db.engineVersion, "16");
        assert.equal(db.multiAz, e.multiAz);
        assert.equal(db.backupRetentionPeriod, e.backupRetentionDays);
        assert.equal(db.deletionProtection, e.deletionProtection);
        assert.equal(db.performanceInsightsEnabled, e.performanceInsights);
        assert.equal(db.storageEncrypted, true);
        assert.equal(db.publiclyAccessible, false);
        assert.equal(db.skipFinalSnapshot, false);
        // Unique per instance (a random suffix made with it), so a second destroy does not collide.
        assert.match(db.finalSnapshotIdentifier, new RegExp(`^service-deploy-${e.stack}-final-[0-9a-f]{8}$`));
        const suffix = g.one("random:index/randomId:RandomId");
        assert.ok(
            g
                .one("aws:rds/instance:Instance")
                .propertyDependencies.finalSnapshotIdentifier?.includes(suffix.urn),
        );
        // Production refuses any plan that would replace (and so empty) its database.
        assert.equal(g.one("aws:rds/instance:Instance").options.protect ?? false, e.deletionProtection);
        const params = g.inputs(g.one("aws:rds/parameterGroup:ParameterGroup"));
        assert.equal(params.family, "postgres16");
        assert.deepEqual(
            params.parameters.find((p: any) => p.name === "rds.force_ssl"),
            { name: "rds.force_ssl", value: "1" },
        );
        assert.equal(
            db.parameterGroupName,
            params.name ?? `${g.one("aws:rds/parameterGroup:ParameterGroup").name}-1234567`,
        );
        // The password is a secret input, never plain.
        assert.equal(g.redacted(g.one("aws:rds/instance:Instance")).password, "[secret]");
    });

    test(`${e.stack}: the ECS service deploys blue-green with both target groups, both rules and rollback on alarms`, async () => {
        const g = await graph();
        const svc = g.inputs(g.one("aws:ecs/service:Service"));
        assert.equal(svc.deploymentConfiguration.strategy, "BLUE_GREEN");
        assert.equal(
            svc.deploymentConfiguration.bakeTimeInMinutes,
            String(stackFile["service-deploy:blueGreen"].bakeTimeMinutes),
        );
        assert.deepEqual(svc.deploymentCircuitBreaker, { enable: true, rollback: true });
        assert.equal(svc.desiredCount, e.tasks);
        assert.equal(svc.launchType, "FARGATE");
        assert.equal(svc.networkConfiguration.assignPublicIp, false);
        const [lb] = svc.loadBalancers;
        const blue = g.one("aws:lb/targetGroup:TargetGroup", "aws-api-blue");
        const green = g.one("aws:lb/targetGroup:TargetGroup", "aws-api-green");
        assert.match(lb.targetGroupArn, /targetgroup\/aws-api-blue\//);
        assert.match(lb.advancedConfiguration.alternateTargetGroupArn, /targetgroup\/aws-api-green\//);
        assert.match(lb.advancedConfiguration.productionListenerRule, /aws-api-production$/);
        assert.match(lb.advancedConfiguration.testListenerRule, /aws-api-test-rule$/);
        assert.match(lb.advancedConfiguration.roleArn, /role\/aws-api-lb-infra$/);
        const infra = g
            .all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .map((r) => g.inputs(r))
            .find((a) => a.role === "aws-api-lb-infra-1234567");
        assert.equal(
            infra?.policyArn,
            "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
        );
        // The rollback alarms, and only they, roll the deployment back.
        assert.deepEqual(svc.alarms, {
            alarmNames: [
                `service-deploy-${e.stack}-api-rollback-5xx`,
                `service-deploy-${e.stack}-api-rollback-p95`,
                `service-deploy-${e.stack}-api-rollback-unhealthy`,
            ],
            enable: true,
            rollback: true,
        });
        for (const n of svc.alarms.alarmNames)
            assert.ok(
                g.all("aws:cloudwatch/metricAlarm:MetricAlarm").some((a) => g.inputs(a).name === n),
                `alarm ${n} exists`,
            );
        for (const tg of [blue, green]) {
            const t = g.inputs(tg);
            assert.equal(t.targetType, "ip");
            assert.equal(t.healthCheck.path, "/readiness");
            assert.equal(t.port, 8080);
        }
    });

    test(`${e.stack}: ECS owns the listener rules' actions, so the next pulumi up does not undo a traffic shift`, async () => {
        const g = await graph();
        const rules = g.all("aws:lb/listenerRule:ListenerRule");
        assert.equal(rules.length, 2);
        for (const r of rules) {
            assert.deepEqual(r.options.ignoreChanges, ECS_OWNS_RULE_ACTIONS);
            assert.deepEqual(ECS_OWNS_RULE_ACTIONS, ["actions"]);
            const weights = g.inputs(r).actions[0].forward.targetGroups.map((t: any) => t.weight);
            assert.deepEqual(weights, [100, 0], "both rules start with all traffic on blue");
        }
    });
}
