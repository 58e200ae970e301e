import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { serviceHasAlarms, alarmKinds } from "../../policies/alarms";
import { messages } from "./harness";
import { cloudRun, resource, vmDeploy } from "../../scripts/policy-fixtures";

const S = serviceHasAlarms();
const alarm = (name: string, props: Record<string, unknown>) =>
    resource("aws:cloudwatch/metricAlarm:MetricAlarm", name, {
        alarmActions: ["arn:aws:sns:r:1:t"],
        ...props,
    });
const errorRate = alarm("rollback-5xx", {
    metricQueries: [
        { id: "e", metric: { metricName: "HTTPCode_Target_5XX_Count" } },
        { id: "r", metric: { metricName: "RequestCount" } },
        { id: "x", expression: "100*e/r" },
    ],
});
const latency = alarm("rollback-p95", { metricName: "TargetResponseTime", extendedStatistic: "p95" });
const ecsService = (alarms = [errorRate, latency]) =>
    resource(
        "aws:ecs/service:Service",
        "svc",
        { name: "api" },
        {
            propertyDependencies: { alarms: alarms.map((a) => a.urn) },
            dependencies: alarms.map((a) => a.urn),
        },
    );

test("service-has-alarms: an ECS service with 5xx and p95 alarms that notify passes", async () => {
    assert.deepEqual(await messages(S, [errorRate, latency, ecsService()]), []);
});

test("service-has-alarms: an ECS service with no latency alarm, or none at all, is refused", async () => {
    assert.deepEqual(await messages(S, [errorRate, ecsService([errorRate])]), [
        cite("SD-016", 'ECS service "api" has no latency or uptime alarm.'),
    ]);
    assert.deepEqual(await messages(S, [ecsService([])]), [
        cite("SD-016", 'ECS service "api" has no error-rate and no latency or uptime alarm.'),
    ]);
});

test("service-has-alarms: alarms linked by ServiceName dimension or by stamp count too", async () => {
    const byDimension = alarm("cpu", {
        metricName: "HTTPCode_Target_5XX_Count",
        dimensions: { ServiceName: "api" },
    });
    const byStamp = alarm("p95", {
        metricName: "Whatever",
        tags: { "service-deploy:service": "api", "service-deploy:alarm": "latency" },
    });
    assert.deepEqual(await messages(S, [byDimension, byStamp, ecsService([])]), []);
});

test("service-has-alarms: an alarm without an action is refused", async () => {
    const silent = alarm("silent", { metricName: "TargetResponseTime", alarmActions: [] });
    assert.deepEqual(await messages(S, [errorRate, silent, ecsService([errorRate, silent])]), [
        cite("SD-016", 'alarm "silent" has no action: nobody is told when it fires (set alarmActions).'),
    ]);
});

test("service-has-alarms: Cloud Run and VM services need theirs too", async () => {
    assert.deepEqual(await messages(S, [cloudRun(), vmDeploy()]), [
        cite("SD-016", 'Cloud Run service "api" has no error-rate and no latency or uptime alarm.'),
        cite("SD-016", 'VM service "api" has no error-rate and no latency or uptime alarm.'),
    ]);
    const policy = (n: string, filter: string) =>
        resource("gcp:monitoring/alertPolicy:AlertPolicy", n, {
            notificationChannels: ["c"],
            conditions: [{ conditionThreshold: { filter } }],
        });
    const uptime = resource("aws:route53/healthCheck:HealthCheck", "up", {
        tags: { "service-deploy:service": "api" },
    });
    const vmErrors = alarm("vm-5xx", {
        metricName: "HealthCheckPercentageHealthy",
        tags: { "service-deploy:service": "api", "service-deploy:alarm": "error-rate" },
    });
    assert.deepEqual(
        await messages(S, [
            cloudRun(),
            policy(
                "run-5xx",
                'resource.labels.service_name="api" AND metric.labels.response_code_class="5xx"',
            ),
            policy(
                "run-p95",
                'resource.labels.service_name="api" AND metric.type="run.googleapis.com/request_latencies"',
            ),
            vmDeploy(),
            uptime,
            vmErrors,
        ]),
        [],
    );
});

test("alarm kinds are read from metrics and stamps", () => {
    assert.deepEqual(alarmKinds({ metricName: "HTTPCode_ELB_5XX_Count" }), ["error-rate"]);
    assert.deepEqual(alarmKinds({ metricName: "TargetResponseTime" }), ["latency"]);
    assert.deepEqual(alarmKinds({ metricName: "CPUUtilization" }), []);
});
