/**
 * Monitoring and notifications of a provisioned VM service without another cloud: an OCI Health
 * Checks HTTP monitor on the public URL's health path, two OCI Monitoring alarms on its metrics
 * (failed checks, and the p95 request time), and an OCI Notifications topic with one
 * subscription per destination. Alarms and the monitor carry the `service-deploy-service` /
 * `service-deploy-alarm` free-form tags the policy pack's `service-has-alarms` reads (OCI tag
 * keys hold no periods or spaces, so the GCP label spelling is used).
 *
 * Metric names are the Health Checks service's (namespace `oci_healthchecks`: `HTTP.isHealthy`,
 * 0 or 1 per probe; `HTTP.RequestTime`, ms), https://docs.oracle.com/en-us/iaas/Content/HealthChecks/Reference/metricsalarms-reference.htm.
 * Subscription protocols are the ONS ones (EMAIL, SLACK, PAGERDUTY, CUSTOM_HTTPS), @pulumi/oci
 * 4.20.0 ons.Subscription.
 */
import * as pulumi from "@pulumi/pulumi";
import * as oci from "@pulumi/oci";

export interface OciMonitoringArgs {
    compartmentId: string;
    serviceName: string;
    /** Public URL, e.g. https://api.example.com */
    url: string;
    healthPath: string;
    /** E-mail subscribers. @default [] */
    emails?: string[];
    /** Webhook URLs (Slack, PagerDuty, or any HTTPS endpoint), secret. @default [] */
    webhooks?: pulumi.Output<string>[];
    p95LatencyMs: number;
    freeformTags: Record<string, string>;
}

export type OnsProtocol = "SLACK" | "PAGERDUTY" | "CUSTOM_HTTPS";

/**
 * The ONS protocol of a webhook URL, by its host; anything else is CUSTOM_HTTPS, whose endpoint
 * ONS itself requires to be an https URL (a wrong secret fails the subscription, naming it). Pure.
 */
export function onsProtocol(url: string): OnsProtocol {
    const host = /^https:\/\/([^/:?#]+)/i.exec(url.trim())?.[1]?.toLowerCase();
    if (host === "hooks.slack.com") return "SLACK";
    if (host === "events.pagerduty.com") return "PAGERDUTY";
    return "CUSTOM_HTTPS";
}

/** The two MQL queries, on one monitor's results. Pure. */
export function alarmQueries(monitorId: string, p95LatencyMs: number): { unhealthy: string; slow: string } {
    return {
        unhealthy: `HTTP.isHealthy[1m]{resourceId = "${monitorId}"}.mean() < 1`,
        slow: `HTTP.RequestTime[5m]{resourceId = "${monitorId}"}.percentile(0.95) > ${p95LatencyMs}`,
    };
}

export class OciMonitoring extends pulumi.ComponentResource {
    public readonly topicId: pulumi.Output<string>;
    public readonly monitor: oci.healthchecks.HttpMonitor;
    public readonly alarms: oci.monitoring.Alarm[] = [];

    constructor(name: string, args: OciMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:oci:OciMonitoring", name, {}, opts);
        const compartmentId = args.compartmentId;
        const u = new URL(args.url);
        const https = u.protocol === "https:";
        const stamp = (kind: string) => ({
            ...args.freeformTags,
            "service-deploy-service": args.serviceName,
            "service-deploy-alarm": kind,
        });
        const topic = new oci.ons.NotificationTopic(
            `${name}-topic`,
            {
                compartmentId,
                // Topic names are unique per tenancy: the stack's own resource name keeps them apart.
                name: `${name}-${pulumi.getStack()}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 256),
                description: `${args.serviceName}: alarms of the service on its VM`,
                freeformTags: args.freeformTags,
            },
            { parent: this },
        );
        this.topicId = topic.id;
        (args.emails ?? []).forEach((email, i) => {
            new oci.ons.Subscription(
                `${name}-email-${i}`,
                {
                    compartmentId,
                    topicId: topic.id,
                    protocol: "EMAIL",
                    endpoint: email,
                    freeformTags: args.freeformTags,
                },
                { parent: this },
            );
        });
        (args.webhooks ?? []).forEach((url, i) => {
            new oci.ons.Subscription(
                `${name}-webhook-${i}`,
                {
                    compartmentId,
                    topicId: topic.id,
                    // Only the vendor leaves the secret URL.
                    protocol: pulumi.unsecret(url.apply(onsProtocol)),
                    endpoint: url,
                    freeformTags: args.freeformTags,
                },
                { parent: this, additionalSecretOutputs: ["endpoint"] },
            );
        });
        this.monitor = new oci.healthchecks.HttpMonitor(
            `${name}-check`,
            {
                compartmentId,
                displayName: `${args.serviceName} ${args.healthPath}`,
                protocol: https ? "HTTPS" : "HTTP",
                targets: [u.hostname],
                port: Number(u.port || (https ? 443 : 80)),
                path: args.healthPath,
                method: "GET",
                intervalInSeconds: 30,
                timeoutInSeconds: 10,
                isEnabled: true,
                freeformTags: stamp("uptime"),
            },
            { parent: this },
        );
        const q = this.monitor.id.apply((id) => alarmQueries(id, args.p95LatencyMs));
        for (const [role, kind, query, pending] of [
            ["unhealthy", "error-rate", q.unhealthy, "PT3M"],
            ["slow", "latency", q.slow, "PT10M"],
        ] as const) {
            this.alarms.push(
                new oci.monitoring.Alarm(
                    `${name}-${role}`,
                    {
                        compartmentId,
                        metricCompartmentId: compartmentId,
                        displayName: `${args.serviceName} on its VM: ${role}`,
                        namespace: "oci_healthchecks",
                        query,
                        severity: "CRITICAL",
                        pendingDuration: pending,
                        isEnabled: true,
                        destinations: [topic.id],
                        body: `${args.serviceName} ${role}: ${args.url}${args.healthPath}`,
                        freeformTags: stamp(kind),
                    },
                    { parent: this },
                ),
            );
        }
        this.registerOutputs({ topicId: this.topicId });
    }
}
