import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { serviceHasAlarms, alarmKinds } from "../../policies/alarms";
import { messages } from "./harness";
import {
    FIXTURE_STACKS,
    alarmsOf,
    cloudRun,
    ecsService,
    serviceAlarm,
    unlinked,
    vmDeploy,
} from "../../scripts/policy-fixtures";

const S = serviceHasAlarms();
// The AWS production stack's service and its rollback alarms, as the program writes them.
const errorRate = () => serviceAlarm("rollback-5xx");
const latency = () => serviceAlarm("rollback-p95");

test("service-has-alarms: an ECS service with 5xx and p95 alarms that notify passes", async () => {
    assert.deepEqual(await messages(S, [errorRate(), latency(), ecsService()]), []);
});

test("service-has-alarms: an ECS service with no latency alarm, or none at all, is refused", async () => {
    assert.deepEqual(await messages(S, [errorRate(), ecsService()]), [
        cite("SD-016", 'ECS service "api" has no latency or uptime alarm.'),
    ]);
    assert.deepEqual(await messages(S, [ecsService()]), [
        cite("SD-016", 'ECS service "api" has no error-rate and no latency or uptime alarm.'),
    ]);
});

test("service-has-alarms: alarms linked by ServiceName dimension or by stamp count too", async () => {
    // The real CPU alarm (ServiceName dimension) on a 5xx metric; the real p95 alarm (its stamp);
    // the service linked to neither.
    const byDimension = serviceAlarm("cpu", { metricName: "HTTPCode_Target_5XX_Count" });
    assert.deepEqual(await messages(S, [byDimension, latency(), unlinked(ecsService())]), []);
    assert.deepEqual(await messages(S, [serviceAlarm("cpu"), latency(), unlinked(ecsService())]), [
        cite("SD-016", 'ECS service "api" has no error-rate alarm.'),
    ]);
});

test("service-has-alarms: an alarm without an action is refused", async () => {
    const silent = serviceAlarm("rollback-p95", { alarmActions: [] });
    assert.deepEqual(await messages(S, [errorRate(), silent, ecsService()]), [
        cite(
            "SD-016",
            'alarm "aws-api-alarms-rollback-p95" has no action: nobody is told when it fires (set alarmActions).',
        ),
    ]);
});

test("service-has-alarms: Cloud Run and VM services need theirs too", async () => {
    assert.deepEqual(await messages(S, [cloudRun(), vmDeploy()]), [
        cite("SD-016", 'Cloud Run service "api" has no error-rate and no latency or uptime alarm.'),
        cite("SD-016", 'VM service "api" has no error-rate and no latency or uptime alarm.'),
    ]);
    // Each with the alert policies, uptime check and alarms its own stack writes.
    assert.deepEqual(
        await messages(S, [
            cloudRun(),
            ...alarmsOf(FIXTURE_STACKS.gcp),
            vmDeploy(),
            ...alarmsOf(FIXTURE_STACKS.vm),
        ]),
        [],
    );
});

test("alarm kinds are read from metrics and stamps", () => {
    assert.deepEqual(alarmKinds({ metricName: "HTTPCode_ELB_5XX_Count" }), ["error-rate"]);
    assert.deepEqual(alarmKinds({ metricName: "TargetResponseTime" }), ["latency"]);
    assert.deepEqual(alarmKinds({ metricName: "CPUUtilization" }), []);
});
