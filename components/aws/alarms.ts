/**
 * CloudWatch alarms of one ECS service behind its ALB (seed sections 4 and 5):
 * - alerts: 5xx rate > 5% for 5 min, p95 > 500 ms for 10 min, unhealthy hosts >= 1, CPU > 80%,
 *   memory > 85%;
 * - rollback: 5xx rate > 10% for 5 min, p95 > 1 s for 10 min. ECS watches these during a
 *   blue-green deployment and rolls back when one fires (`alarms.rollback`).
 * Every alarm notifies the topic on ALARM and OK. Thresholds come from config, defaults from the seed.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

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
    /** Names ECS watches during deployments (5xx rate and p95). */
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

        const rollback5xx = errorRate(
            "rollback-5xx",
            spec.rollbackErrorRate.percent,
            spec.rollbackErrorRate.minutes,
            "Rollback",
        );
        const rollbackP95 = p95(
            "rollback-p95",
            spec.rollbackP95.seconds,
            spec.rollbackP95.minutes,
            "Rollback",
        );
        this.alarms.push(rollback5xx, rollbackP95);
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

        this.rollbackAlarmNames = pulumi.all([rollback5xx.name, rollbackP95.name]);
        this.registerOutputs({ rollbackAlarmNames: this.rollbackAlarmNames });
    }
}
