/**
 * CloudWatch alarms of one ECS service behind its ALB:
 * - alerts (people): 5xx rate > 5% for 5 min, p95 > 500 ms for 10 min, unhealthy hosts >= 1,
 *   CPU > 80%, memory > 85%, on the whole load balancer as users see it;
 * - rollback (ECS): ECS watches these during a blue-green deployment, through the bake, and
 *   rolls back when one fires (`alarms.rollback`). They must see the release under test, so:
 *   - they watch BOTH target groups with metric math (blue and green swap roles every
 *     deployment), each group's own rate or p95, and the worse of the two; a green that fails
 *     its few test requests is not drowned by blue's production traffic;
 *   - the 5xx alarm counts the load balancer's own 502/503/504 (`HTTPCode_ELB_5XX_Count`), what a
 *     crashing green produces, not only the targets' 5xx;
 *   - an unhealthy alarm fires when a target group that receives requests has no healthy host;
 *   - M of N datapoints with M < N (`rollbackDatapoints`), missing data filled with 0 (no
 *     requests is no evidence of failure), and the bake is at least the longest window plus the
 *     metrics' delay (checked at config parse, `rollbackWindowProblem`).
 * Every alarm notifies the topic on ALARM and OK.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { rollbackDatapoints, UNHEALTHY_WINDOW_MINUTES } from "./rollback";

export {
    METRIC_DELAY_MINUTES,
    rollbackDatapoints,
    rollbackWindowProblem,
    UNHEALTHY_WINDOW_MINUTES,
} from "./rollback";

export interface Thresholds {
    errorRatePercent: number;
    errorRateMinutes: number;
    p95LatencyMs: number;
    p95LatencyMinutes: number;
    cpuPercent: number;
    memoryPercent: number;
}

export interface RollbackThresholds {
    rollbackErrorRatePercent: number;
    rollbackErrorRateMinutes: number;
    rollbackP95LatencyMs: number;
    rollbackP95LatencyMinutes: number;
}

export interface ServiceAlarmsArgs {
    /** Prefix of alarm names, e.g. `service-deploy-production-api`. Alarm names must be stable: ECS refers to them. */
    alarmPrefix: string;
    topicArn: pulumi.Input<string>;
    /** `app/<name>/<id>` of the ALB. */
    loadBalancerArnSuffix: pulumi.Input<string>;
    /** `targetgroup/<name>/<id>` of blue and green. */
    targetGroupArnSuffixes: pulumi.Input<string>[];
    clusterName: pulumi.Input<string>;
    serviceName: string;
    thresholds: Thresholds & RollbackThresholds;
}

/** A metric of one target group in the rollback alarms' math. */
function tgMetric(
    id: string,
    metricName: string,
    stat: string,
    lb: pulumi.Input<string>,
    tg: pulumi.Input<string>,
) {
    return {
        id,
        returnData: false,
        metric: {
            namespace: "AWS/ApplicationELB",
            metricName,
            dimensions: { LoadBalancer: lb, TargetGroup: tg },
            period: 60,
            stat,
        },
    };
}

/** The alarm specs (no Pulumi) so tests can read thresholds directly. Pure. */
export function serviceAlarmSpecs(t: Thresholds & RollbackThresholds) {
    return {
        errorRate: { percent: t.errorRatePercent, minutes: t.errorRateMinutes },
        p95: { seconds: t.p95LatencyMs / 1000, minutes: t.p95LatencyMinutes },
        rollbackErrorRate: { percent: t.rollbackErrorRatePercent, minutes: t.rollbackErrorRateMinutes },
        rollbackP95: { seconds: t.rollbackP95LatencyMs / 1000, minutes: t.rollbackP95LatencyMinutes },
        cpu: { percent: t.cpuPercent, minutes: 5 },
        memory: { percent: t.memoryPercent, minutes: 5 },
    };
}

export class ServiceAlarms extends pulumi.ComponentResource {
    /** Names ECS watches during deployments (5xx rate, p95, no healthy target). */
    public readonly rollbackAlarmNames: pulumi.Output<string[]>;
    public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

    constructor(name: string, args: ServiceAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:ServiceAlarms", name, {}, opts);
        const spec = serviceAlarmSpecs(args.thresholds);
        const actions = { alarmActions: [args.topicArn], okActions: [args.topicArn] };
        const stamp = (kind: string) => ({
            tags: { "service-deploy:service": args.serviceName, "service-deploy:alarm": kind },
        });
        const lb = { LoadBalancer: args.loadBalancerArnSuffix };

        const errorRate = (role: string, percent: number, minutes: number, what: string) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${role}`,
                {
                    name: `${args.alarmPrefix}-${role}`,
                    alarmDescription: `${what}: target 5xx above ${percent}% of requests for ${minutes} min`,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: percent,
                    evaluationPeriods: minutes,
                    datapointsToAlarm: minutes,
                    treatMissingData: "notBreaching",
                    ...stamp("error-rate"),
                    metricQueries: [
                        {
                            id: "errors",
                            metric: {
                                namespace: "AWS/ApplicationELB",
                                metricName: "HTTPCode_Target_5XX_Count",
                                dimensions: lb,
                                period: 60,
                                stat: "Sum",
                            },
                        },
                        {
                            id: "requests",
                            metric: {
                                namespace: "AWS/ApplicationELB",
                                metricName: "RequestCount",
                                dimensions: lb,
                                period: 60,
                                stat: "Sum",
                            },
                        },
                        {
                            id: "rate",
                            expression: "IF(requests > 0, 100 * errors / requests, 0)",
                            label: "5xx %",
                            returnData: true,
                        },
                    ],
                    ...actions,
                },
                { parent: this },
            );
        const p95 = (role: string, seconds: number, minutes: number, what: string) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${role}`,
                {
                    name: `${args.alarmPrefix}-${role}`,
                    alarmDescription: `${what}: p95 response time above ${seconds * 1000} ms for ${minutes} min`,
                    namespace: "AWS/ApplicationELB",
                    metricName: "TargetResponseTime",
                    dimensions: lb,
                    extendedStatistic: "p95",
                    ...stamp("latency"),
                    period: 60,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: seconds,
                    evaluationPeriods: minutes,
                    datapointsToAlarm: minutes,
                    treatMissingData: "notBreaching",
                    ...actions,
                },
                { parent: this },
            );

        const [blueTg, greenTg] = args.targetGroupArnSuffixes;
        const lbSuffix = args.loadBalancerArnSuffix;
        const rollbackBase = (role: string, description: string, minutes: number) => ({
            name: `${args.alarmPrefix}-${role}`,
            alarmDescription: description,
            ...rollbackDatapoints(minutes),
            // The math fills gaps with 0; a period with no datapoint at all is no evidence either.
            treatMissingData: "notBreaching",
            ...actions,
        });
        const e = spec.rollbackErrorRate;
        const rollback5xx = new aws.cloudwatch.MetricAlarm(
            `${name}-rollback-5xx`,
            {
                ...rollbackBase(
                    "rollback-5xx",
                    `Rollback: 5xx (target or load balancer) above ${e.percent}% of either target group's requests in ${rollbackDatapoints(e.minutes).datapointsToAlarm} of ${e.minutes} min`,
                    e.minutes,
                ),
                comparisonOperator: "GreaterThanThreshold",
                threshold: e.percent,
                ...stamp("error-rate"),
                metricQueries: [
                    tgMetric("errb", "HTTPCode_Target_5XX_Count", "Sum", lbSuffix, blueTg),
                    tgMetric("reqb", "RequestCount", "Sum", lbSuffix, blueTg),
                    tgMetric("errg", "HTTPCode_Target_5XX_Count", "Sum", lbSuffix, greenTg),
                    tgMetric("reqg", "RequestCount", "Sum", lbSuffix, greenTg),
                    {
                        // ALB-generated 5xx exist per load balancer only (no TargetGroup dimension).
                        id: "elb",
                        returnData: false,
                        metric: {
                            namespace: "AWS/ApplicationELB",
                            metricName: "HTTPCode_ELB_5XX_Count",
                            dimensions: { LoadBalancer: lbSuffix },
                            period: 60,
                            stat: "Sum",
                        },
                    },
                    {
                        id: "rateb",
                        expression: "IF(FILL(reqb, 0) > 0, 100 * FILL(errb, 0) / FILL(reqb, 0), 0)",
                        returnData: false,
                    },
                    {
                        id: "rateg",
                        expression: "IF(FILL(reqg, 0) > 0, 100 * FILL(errg, 0) / FILL(reqg, 0), 0)",
                        returnData: false,
                    },
                    {
                        id: "rateelb",
                        expression:
                            "IF(FILL(elb, 0) > 0, 100 * FILL(elb, 0) / (FILL(elb, 0) + FILL(reqb, 0) + FILL(reqg, 0)), 0)",
                        returnData: false,
                    },
                    {
                        id: "worst",
                        expression: "MAX([rateb, rateg, rateelb])",
                        label: "worst 5xx % (blue, green, load balancer)",
                        returnData: true,
                    },
                ],
            },
            { parent: this },
        );
        const l = spec.rollbackP95;
        const rollbackP95 = new aws.cloudwatch.MetricAlarm(
            `${name}-rollback-p95`,
            {
                ...rollbackBase(
                    "rollback-p95",
                    `Rollback: p95 response time of either target group above ${l.seconds * 1000} ms in ${rollbackDatapoints(l.minutes).datapointsToAlarm} of ${l.minutes} min`,
                    l.minutes,
                ),
                comparisonOperator: "GreaterThanThreshold",
                threshold: l.seconds,
                ...stamp("latency"),
                metricQueries: [
                    tgMetric("p95b", "TargetResponseTime", "p95", lbSuffix, blueTg),
                    tgMetric("p95g", "TargetResponseTime", "p95", lbSuffix, greenTg),
                    {
                        id: "worst",
                        expression: "MAX([FILL(p95b, 0), FILL(p95g, 0)])",
                        label: "worst p95 (s)",
                        returnData: true,
                    },
                ],
            },
            { parent: this },
        );
        const rollbackUnhealthy = new aws.cloudwatch.MetricAlarm(
            `${name}-rollback-unhealthy`,
            {
                ...rollbackBase(
                    "rollback-unhealthy",
                    `Rollback: a target group receiving requests has no healthy target in ${rollbackDatapoints(UNHEALTHY_WINDOW_MINUTES).datapointsToAlarm} of ${UNHEALTHY_WINDOW_MINUTES} min`,
                    UNHEALTHY_WINDOW_MINUTES,
                ),
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                ...stamp("health"),
                metricQueries: [
                    tgMetric("hhb", "HealthyHostCount", "Minimum", lbSuffix, blueTg),
                    tgMetric("reqb", "RequestCount", "Sum", lbSuffix, blueTg),
                    tgMetric("hhg", "HealthyHostCount", "Minimum", lbSuffix, greenTg),
                    tgMetric("reqg", "RequestCount", "Sum", lbSuffix, greenTg),
                    {
                        // A group takes traffic when requests reach it (an ALB whose targets are
                        // all unhealthy fails open and still routes to them).
                        id: "down",
                        expression:
                            "IF(FILL(reqb, 0) > 0 AND FILL(hhb, 0) < 1, 1, 0) + IF(FILL(reqg, 0) > 0 AND FILL(hhg, 0) < 1, 1, 0)",
                        label: "target groups taking traffic with no healthy target",
                        returnData: true,
                    },
                ],
            },
            { parent: this },
        );
        this.alarms.push(rollback5xx, rollbackP95, rollbackUnhealthy);
        this.alarms.push(errorRate("5xx-rate", spec.errorRate.percent, spec.errorRate.minutes, "Alert"));
        this.alarms.push(p95("p95-latency", spec.p95.seconds, spec.p95.minutes, "Alert"));

        args.targetGroupArnSuffixes.forEach((tg, i) => {
            this.alarms.push(
                new aws.cloudwatch.MetricAlarm(
                    `${name}-unhealthy-${i}`,
                    {
                        name: `${args.alarmPrefix}-unhealthy-${i === 0 ? "blue" : "green"}`,
                        alarmDescription: "Alert: at least one unhealthy target for 2 min",
                        namespace: "AWS/ApplicationELB",
                        metricName: "UnHealthyHostCount",
                        dimensions: { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: tg },
                        statistic: "Maximum",
                        period: 60,
                        comparisonOperator: "GreaterThanOrEqualToThreshold",
                        threshold: 1,
                        evaluationPeriods: 2,
                        treatMissingData: "notBreaching",
                        ...actions,
                    },
                    { parent: this },
                ),
            );
        });

        const ecs = { ClusterName: args.clusterName, ServiceName: args.serviceName };
        const usage = (role: string, metricName: string, percent: number, minutes: number) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${role}`,
                {
                    name: `${args.alarmPrefix}-${role}`,
                    alarmDescription: `Alert: ECS ${metricName} above ${percent}% for ${minutes} min`,
                    namespace: "AWS/ECS",
                    metricName,
                    dimensions: ecs,
                    statistic: "Average",
                    period: 60,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: percent,
                    evaluationPeriods: minutes,
                    datapointsToAlarm: minutes,
                    treatMissingData: "missing",
                    ...actions,
                },
                { parent: this },
            );
        this.alarms.push(usage("cpu", "CPUUtilization", spec.cpu.percent, spec.cpu.minutes));
        this.alarms.push(usage("memory", "MemoryUtilization", spec.memory.percent, spec.memory.minutes));

        this.rollbackAlarmNames = pulumi.all([rollback5xx.name, rollbackP95.name, rollbackUnhealthy.name]);
        this.registerOutputs({ rollbackAlarmNames: this.rollbackAlarmNames });
    }
}
