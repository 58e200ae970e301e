/**
 * External monitoring of a VM service's public URL, through the cloud the stack already uses:
 * - aws: a Route 53 health check (latency measured) with two CloudWatch alarms, failed checks and
 *   time to first byte. Route 53 publishes its metrics in us-east-1 only, so the alarms and
 *   their SNS topic live there.
 * - gcp: a Cloud Monitoring uptime check with alert policies on failed checks and latency.
 * Both are stamped `service-deploy:service` so the policy pack links them to the VM service.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { subscribeDestinations } from "../aws/alarm-topic";
import { NotificationChannels } from "../gcp/notification-channels";
import type { ResolvedDestination } from "../notifications";

export interface UptimeArgs {
    provider: "aws" | "gcp";
    serviceName: string;
    /** Public URL, e.g. https://api.example.com */
    url: string;
    healthPath: string;
    /** Who hears the uptime alarms (components/notifications.ts `resolveDestinations`). */
    destinations: ResolvedDestination[];
    /** `service-deploy-<stack>`, for the forwarder's name and messages. */
    prefix: string;
    environment: string;
    /** Base URL of the runbook messages link to. */
    runbookUrl: string;
    p95LatencyMs: number;
    /** For gcp. @default undefined */
    gcpProject?: string;
}

export class Uptime extends pulumi.ComponentResource {
    constructor(name: string, args: UptimeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:vm:Uptime", name, {}, opts);
        const u = new URL(args.url);
        const https = u.protocol === "https:";
        const stamp = (kind: string) => ({
            "service-deploy:service": args.serviceName,
            "service-deploy:alarm": kind,
        });
        if (args.provider === "aws") {
            const useast1 = new aws.Provider(`${name}-us-east-1`, { region: "us-east-1" }, { parent: this });
            const check = new aws.route53.HealthCheck(
                `${name}-check`,
                {
                    type: https ? "HTTPS" : "HTTP",
                    fqdn: u.hostname,
                    port: Number(u.port || (https ? 443 : 80)),
                    resourcePath: args.healthPath,
                    failureThreshold: 3,
                    requestInterval: 30,
                    measureLatency: true,
                    tags: stamp("uptime"),
                },
                { parent: this },
            );
            const topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this, provider: useast1 });
            // The same destinations as every other alarm; the forwarder lives in us-east-1 with the topic.
            subscribeDestinations(
                name,
                topic.arn,
                args.destinations,
                {
                    functionName: `${args.prefix}-${args.serviceName}-uptime-notify`.slice(0, 64),
                    context: {
                        prefix: args.prefix,
                        environment: args.environment,
                        target: "vm",
                        services: [args.serviceName],
                        runbookUrl: args.runbookUrl,
                    },
                },
                this,
                useast1,
            );
            const dims = { HealthCheckId: check.id };
            const alarm = (
                role: string,
                metricName: string,
                statistic: string,
                comparisonOperator: string,
                threshold: number,
                kind: string,
                extended?: string,
            ) =>
                new aws.cloudwatch.MetricAlarm(
                    `${name}-${role}`,
                    {
                        alarmDescription: `${args.serviceName} on its VM: ${role}`,
                        namespace: "AWS/Route53",
                        metricName,
                        dimensions: dims,
                        ...(extended ? { extendedStatistic: extended } : { statistic }),
                        period: 60,
                        evaluationPeriods: 3,
                        datapointsToAlarm: 3,
                        comparisonOperator,
                        threshold,
                        treatMissingData: "breaching",
                        alarmActions: [topic.arn],
                        okActions: [topic.arn],
                        tags: stamp(kind),
                    },
                    { parent: this, provider: useast1 },
                );
            alarm(
                "unhealthy",
                "HealthCheckPercentageHealthy",
                "Average",
                "LessThanThreshold",
                100,
                "error-rate",
            );
            alarm("slow", "TimeToFirstByte", "", "GreaterThanThreshold", args.p95LatencyMs, "latency", "p95");
        } else {
            const project = args.gcpProject!;
            const check = new gcp.monitoring.UptimeCheckConfig(
                `${name}-check`,
                {
                    project,
                    displayName: `${args.serviceName} ${args.healthPath}`,
                    timeout: "10s",
                    period: "60s",
                    httpCheck: {
                        path: args.healthPath,
                        port: Number(u.port || (https ? 443 : 80)),
                        useSsl: https,
                        validateSsl: https,
                    },
                    monitoredResource: {
                        type: "uptime_url",
                        labels: { project_id: project, host: u.hostname },
                    },
                    userLabels: { "service-deploy-service": args.serviceName },
                },
                { parent: this },
            );
            const channels = new NotificationChannels(
                name,
                { project, destinations: args.destinations },
                // The e-mail channels move under this component: GCP replaces them once (no confirmation).
                { parent: this },
            ).names;
            const policy = (
                role: string,
                metric: string,
                aligner: string,
                reducer: string,
                threshold: number,
                kind: string,
            ) =>
                new gcp.monitoring.AlertPolicy(
                    `${name}-${role}`,
                    {
                        project,
                        displayName: `${args.serviceName} on its VM: ${role}`,
                        combiner: "OR",
                        notificationChannels: channels,
                        userLabels: {
                            "service-deploy-service": args.serviceName,
                            "service-deploy-alarm": kind,
                        },
                        conditions: [
                            {
                                displayName: role,
                                conditionThreshold: {
                                    filter: pulumi.interpolate`resource.type = "uptime_url" AND metric.type = "monitoring.googleapis.com/uptime_check/${metric}" AND metric.labels.check_id = "${check.uptimeCheckId}"`,
                                    aggregations: [
                                        {
                                            alignmentPeriod: "300s",
                                            perSeriesAligner: aligner,
                                            crossSeriesReducer: reducer,
                                            groupByFields: ["resource.label.*"],
                                        },
                                    ],
                                    comparison: "COMPARISON_GT",
                                    thresholdValue: threshold,
                                    duration: "300s",
                                },
                            },
                        ],
                    },
                    { parent: this },
                );
            policy("unhealthy", "check_passed", "ALIGN_NEXT_OLDER", "REDUCE_COUNT_FALSE", 1, "error-rate");
            policy(
                "slow",
                "request_latency",
                "ALIGN_PERCENTILE_95",
                "REDUCE_MAX",
                args.p95LatencyMs,
                "latency",
            );
        }
        this.registerOutputs({});
    }
}
