/**
 * The rollback alarms ECS watches during a blue-green deployment see the release under test:
 * both target groups, the load balancer's own 5xx, no healthy target, M of N (staging's real
 * output).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { graphOf, type Graph } from "./mocks";
import { rollbackDatapoints, rollbackWindowProblem } from "../components/aws/rollback";
import { ecsServiceTimeouts } from "../components/aws/fargate-service";

let g: Graph;
const alarm = (suffix: string) => {
    const found = g
        .all("aws:cloudwatch/metricAlarm:MetricAlarm")
        .map((r) => g.inputs(r))
        .find((a) => a.name === `service-deploy-staging-api-${suffix}`);
    assert.ok(found, `alarm api-${suffix} exists`);
    return found;
};
const metricsOf = (a: any) => a.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric);
const tgSuffixes = () =>
    g
        .all("aws:lb/targetGroup:TargetGroup")
        .map((r) => String(r.state.arnSuffix))
        .sort();

describe("rollback alarms", () => {
    before(async () => {
        g = await graphOf("staging");
    });

    it("ECS rolls back on the 5xx, p95 and no-healthy-target alarms", () => {
        const svc = g.inputs(g.one("aws:ecs/service:Service"));
        assert.deepEqual(svc.alarms.alarmNames, [
            "service-deploy-staging-api-rollback-5xx",
            "service-deploy-staging-api-rollback-p95",
            "service-deploy-staging-api-rollback-unhealthy",
        ]);
    });

    it("the 5xx rollback alarm watches each target group's own rate and the load balancer's 5xx", () => {
        const a = alarm("rollback-5xx");
        const m = metricsOf(a);
        const perTg = m.filter((x: any) => x.dimensions.TargetGroup);
        assert.deepEqual(
            [...new Set(perTg.map((x: any) => x.dimensions.TargetGroup))].sort(),
            tgSuffixes(),
            "both target groups, by TargetGroup dimension",
        );
        assert.ok(m.some((x: any) => x.metricName === "HTTPCode_ELB_5XX_Count"));
        assert.ok(m.some((x: any) => x.metricName === "HTTPCode_Target_5XX_Count"));
        const result = a.metricQueries.filter((q: any) => q.returnData === true);
        assert.equal(result.length, 1);
        assert.match(result[0].expression, /^MAX\(\[/);
        assert.match(a.metricQueries.map((q: any) => q.expression ?? "").join(" "), /FILL\(/);
    });

    it("the p95 rollback alarm takes the worse p95 of the two target groups", () => {
        const a = alarm("rollback-p95");
        assert.equal(a.metricName, undefined);
        assert.deepEqual(
            metricsOf(a)
                .map((x: any) => x.dimensions.TargetGroup)
                .sort(),
            tgSuffixes(),
        );
        assert.ok(metricsOf(a).every((x: any) => x.stat === "p95" && x.metricName === "TargetResponseTime"));
    });

    it("a target group taking requests with no healthy host rolls back", () => {
        const a = alarm("rollback-unhealthy");
        const names = metricsOf(a).map((x: any) => `${x.metricName}:${x.dimensions.TargetGroup}`);
        for (const tg of tgSuffixes()) {
            assert.ok(names.includes(`HealthyHostCount:${tg}`));
            assert.ok(names.includes(`RequestCount:${tg}`));
        }
        assert.equal(a.comparisonOperator, "GreaterThanOrEqualToThreshold");
        assert.equal(a.threshold, 1);
    });

    it("every rollback alarm fires on M of N datapoints with M < N", () => {
        for (const s of ["rollback-5xx", "rollback-p95", "rollback-unhealthy"]) {
            const a = alarm(s);
            assert.ok(
                a.datapointsToAlarm < a.evaluationPeriods,
                `${s}: ${a.datapointsToAlarm} of ${a.evaluationPeriods}`,
            );
        }
    });

    it("the ordinary alerts keep watching the whole load balancer", () => {
        const a = alarm("5xx-rate");
        assert.deepEqual(
            metricsOf(a).map((x: any) => Object.keys(x.dimensions)),
            [["LoadBalancer"], ["LoadBalancer"]],
        );
    });
});

describe("rollback timing", () => {
    it("M of N keeps M below N from two minutes up", () => {
        const table: [number, number][] = [
            [2, 1],
            [3, 2],
            [5, 3],
            [10, 6],
            [60, 36],
        ];
        for (const [n, m] of table)
            assert.deepEqual(rollbackDatapoints(n), { evaluationPeriods: n, datapointsToAlarm: m }, `N=${n}`);
    });

    it("a bake must outlast the longest rollback window plus the metrics' delay", () => {
        const t = (bake: number, e: number, p: number) =>
            rollbackWindowProblem({
                bakeTimeMinutes: bake,
                rollbackErrorRateMinutes: e,
                rollbackP95LatencyMinutes: p,
            });
        assert.equal(t(15, 5, 10), undefined);
        assert.equal(t(13, 5, 10), undefined);
        assert.match(t(12, 5, 10) ?? "", /longest rollback window is 10 min .* at least 13/);
        assert.match(t(0, 2, 2) ?? "", /at least 6/, "the unhealthy window (3 min) counts too");
    });
});

describe("deployment timeouts", () => {
    it("an up waits for task start, hooks and bake", () => {
        const table: [number, number, string][] = [
            [0, 0, "20m"],
            [8, 5, "33m"],
            [15, 5, "40m"],
            [1440, 0, "1460m"],
        ];
        for (const [bake, hooks, update] of table)
            assert.equal(ecsServiceTimeouts({ bakeTimeMinutes: bake, hookMinutes: hooks }).update, update);
    });
});
