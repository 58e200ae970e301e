/**
 * Cloud Monitoring alerts of one Cloud Run service: 5xx ratio and p95 latency (thresholds shared
 * with the AWS target's `alarms` config), instances at the maximum, and an uptime check on the
 * health path with its alert. Every policy notifies the configured channels.
 *
 * The release alerts are per revision (`groupByFields: resource.label.revision_name`): summed over
 * the service, a 10% canary failing 40% of its requests reads 4% and never crosses a 5% threshold;
 * per revision it reads 40%. The smoke checks of a release (a few requests to the tag URL, within
 * seconds) cannot page: a condition must hold for `errorRateMinutes`/`p95LatencyMinutes`, and
 * once the smoke requests stop the revision's series has no data, which counts as not violating
 * (`EVALUATION_MISSING_DATA_INACTIVE`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

export interface ServiceAlertsArgs {
    project: string;
    serviceName: string;
    /** The service's URL (its host is what the uptime check probes). */
    url: pulumi.Input<string>;
    healthPath: string;
    maxInstances: number;
    channels: pulumi.Input<pulumi.Input<string>[]>;
    errorRatePercent: number;
    errorRateMinutes: number;
    p95LatencyMs: number;
    p95LatencyMinutes: number;
}

/** Monitoring filter of one Cloud Run metric for one service. Pure. */
export function runFilter(service: string, metric: string, extra = ""): string {
    return `resource.type = "cloud_run_revision" AND resource.labels.service_name = "${service}" AND metric.type = "run.googleapis.com/${metric}"${extra ? ` AND ${extra}` : ""}`;
}

/** Series per revision, so one bad revision is not averaged away by the others. */
export const PER_REVISION = ["resource.label.revision_name"];

export class ServiceAlerts extends pulumi.ComponentResource {
    public readonly policies: gcp.monitoring.AlertPolicy[];
    public readonly uptimeCheck: gcp.monitoring.UptimeCheckConfig;

    constructor(name: string, args: ServiceAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:ServiceAlerts", name, {}, opts);
        const common = {
            project: args.project,
            combiner: "OR",
            notificationChannels: args.channels,
            userLabels: { "service-deploy-service": args.serviceName },
        };
        const s = args.serviceName;
        const policy = (
            role: string,
            displayName: string,
            condition: gcp.types.input.monitoring.AlertPolicyConditionConditionThreshold,
            alarm: string,
        ) =>
            new gcp.monitoring.AlertPolicy(
                `${name}-${role}`,
                {
                    ...common,
                    displayName,
                    userLabels: { ...common.userLabels, "service-deploy-alarm": alarm },
                    conditions: [{ displayName, conditionThreshold: condition }],
                    documentation: {
                        content: `${displayName}. Runbook: docs/runbook.md, Cloud Run rollback: set cloudRun.traffic back to the previous digest.`,
                        mimeType: "text/markdown",
                    },
                },
                { parent: this },
            );

        this.uptimeCheck = new gcp.monitoring.UptimeCheckConfig(
            `${name}-uptime`,
            {
                project: args.project,
                displayName: `${s} ${args.healthPath}`,
                timeout: "10s",
                period: "60s",
                httpCheck: {
                    path: args.healthPath,
                    port: 443,
                    useSsl: true,
                    validateSsl: true,
                    acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
                },
                monitoredResource: {
                    type: "uptime_url",
                    labels: {
                        project_id: args.project,
                        host: pulumi.output(args.url).apply((u) => new URL(u).host),
                    },
                },
                userLabels: { "service-deploy-service": s },
            },
            { parent: this },
        );

        this.policies = [
            policy(
                "5xx-ratio",
                `${s}: 5xx above ${args.errorRatePercent}% of requests for ${args.errorRateMinutes} min`,
                {
                    filter: runFilter(s, "request_count", 'metric.labels.response_code_class = "5xx"'),
                    denominatorFilter: runFilter(s, "request_count"),
                    aggregations: [
                        {
                            alignmentPeriod: "60s",
                            perSeriesAligner: "ALIGN_RATE",
                            crossSeriesReducer: "REDUCE_SUM",
                            groupByFields: PER_REVISION,
                        },
                    ],
                    denominatorAggregations: [
                        {
                            alignmentPeriod: "60s",
                            perSeriesAligner: "ALIGN_RATE",
                            crossSeriesReducer: "REDUCE_SUM",
                            groupByFields: PER_REVISION,
                        },
                    ],
                    evaluationMissingData: "EVALUATION_MISSING_DATA_INACTIVE",
                    comparison: "COMPARISON_GT",
                    thresholdValue: args.errorRatePercent / 100,
                    duration: `${args.errorRateMinutes * 60}s`,
                },
                "error-rate",
            ),
            policy(
                "p95-latency",
                `${s}: p95 latency above ${args.p95LatencyMs} ms for ${args.p95LatencyMinutes} min`,
                {
                    filter: runFilter(s, "request_latencies"),
                    aggregations: [
                        {
                            alignmentPeriod: "60s",
                            perSeriesAligner: "ALIGN_PERCENTILE_95",
                            crossSeriesReducer: "REDUCE_MAX",
                            groupByFields: PER_REVISION,
                        },
                    ],
                    evaluationMissingData: "EVALUATION_MISSING_DATA_INACTIVE",
                    comparison: "COMPARISON_GT",
                    thresholdValue: args.p95LatencyMs,
                    duration: `${args.p95LatencyMinutes * 60}s`,
                },
                "latency",
            ),
            policy(
                "instances-at-max",
                `${s}: running at its maximum of ${args.maxInstances} instances for 5 min`,
                {
                    filter: runFilter(s, "container/instance_count"),
                    aggregations: [
                        {
                            alignmentPeriod: "60s",
                            perSeriesAligner: "ALIGN_MAX",
                            crossSeriesReducer: "REDUCE_SUM",
                        },
                    ],
                    comparison: "COMPARISON_GT",
                    thresholdValue: args.maxInstances - 0.5,
                    duration: "300s",
                },
                "saturation",
            ),
            policy(
                "uptime",
                `${s}: ${args.healthPath} failing from the uptime check`,
                {
                    filter: pulumi.interpolate`resource.type = "uptime_url" AND metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND metric.labels.check_id = "${this.uptimeCheck.uptimeCheckId}"`,
                    aggregations: [
                        {
                            alignmentPeriod: "300s",
                            perSeriesAligner: "ALIGN_NEXT_OLDER",
                            crossSeriesReducer: "REDUCE_COUNT_FALSE",
                            groupByFields: ["resource.label.*"],
                        },
                    ],
                    comparison: "COMPARISON_GT",
                    thresholdValue: 1,
                    duration: "300s",
                },
                "latency",
            ),
        ];
        this.registerOutputs({});
    }
}
