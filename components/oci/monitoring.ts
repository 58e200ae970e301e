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
 * Subscriptions come from the stack's `notifications` destinations (onsSubscriptions).
 */
import * as pulumi from "@pulumi/pulumi";
import * as oci from "@pulumi/oci";
import { hears, type ResolvedDestination } from "../notifications";

export interface OciMonitoringArgs {
    compartmentId: string;
    serviceName: string;
    /** Public URL, e.g. https://api.example.com */
    url: string;
    healthPath: string;
    /** The stack's notification destinations, secrets resolved (components/notifications.ts). */
    destinations: ResolvedDestination[];
    p95LatencyMs: number;
    freeformTags: Record<string, string>;
}

/**
 * One ONS subscription per destination that hears alerts (an OCI alarm notifies its topic when it
 * fires and when it returns to OK; ONS cannot tell the two apart for a subscriber, so a
 * recoveries-only destination is not subscribed). Protocols and endpoint forms are ONS's
 * (https://docs.oracle.com/en-us/iaas/Content/Notification/Tasks/managingtopicsandsubscriptions.htm#createSub):
 * EMAIL an address, SLACK the incoming webhook URL, PAGERDUTY
 * `https://events.pagerduty.com/integration/<integration key>/enqueue`, CUSTOM_HTTPS a URL. Pure.
 */
export function onsSubscriptions(
    destinations: ResolvedDestination[],
): { name: string; protocol: string; endpoint: pulumi.Input<string>; secret: boolean }[] {
    const out: { name: string; protocol: string; endpoint: pulumi.Input<string>; secret: boolean }[] = [];
    for (const d of destinations) {
        if (!hears(d, "alerts")) continue;
        if (d.type === "email")
            out.push({ name: d.name, protocol: "EMAIL", endpoint: d.address, secret: false });
        else if (d.type === "slack" && d.webhookUrl)
            out.push({ name: d.name, protocol: "SLACK", endpoint: d.webhookUrl, secret: true });
        else if (d.type === "pagerduty")
            out.push({
                name: d.name,
                protocol: "PAGERDUTY",
                endpoint: pulumi.interpolate`https://events.pagerduty.com/integration/${d.integrationKey}/enqueue`,
                secret: true,
            });
        else if (d.type === "webhook")
            out.push({ name: d.name, protocol: "CUSTOM_HTTPS", endpoint: d.url, secret: true });
    }
    return out;
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
        for (const sub of onsSubscriptions(args.destinations)) {
            new oci.ons.Subscription(
                `${name}-${sub.name}`,
                {
                    compartmentId,
                    topicId: topic.id,
                    protocol: sub.protocol,
                    endpoint: sub.secret ? pulumi.secret(sub.endpoint) : sub.endpoint,
                    freeformTags: args.freeformTags,
                },
                { parent: this, ...(sub.secret ? { additionalSecretOutputs: ["endpoint"] } : {}) },
            );
        }
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
