/**
 * Every service is watched (SD-016): an error-rate alarm and a latency (or uptime) alarm per
 * ECS service, Cloud Run service and VM service, and every alarm notifies someone.
 * A stack policy: alarms are found through the graph (the ECS service's `alarms` dependencies,
 * the alarms' dimensions) and through the components' `service-deploy:service` stamps.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import type { PolicyOptions } from "./common";
import { vmWorkloads } from "./lib";

type Kind = "error-rate" | "latency";

/** What an alarm watches, from its metrics. Pure. */
export function alarmKinds(p: Record<string, any>): Kind[] {
    const stamped = p.tags?.["service-deploy:alarm"] ?? p.freeformTags?.["service-deploy-alarm"];
    const metrics: string[] = [
        p.metricName,
        ...(p.metricQueries ?? []).map((q: any) => q.metric?.metricName),
    ].filter(Boolean);
    const text = [...metrics, ...(p.conditions ?? []).map((c: any) => JSON.stringify(c))].join(" ");
    const kinds = new Set<Kind>();
    if (stamped === "error-rate" || /5XX|5xx|response_code_class/.test(text)) kinds.add("error-rate");
    if (
        stamped === "latency" ||
        /TargetResponseTime|Latency|request_latencies|uptime_check|HealthCheckStatus/.test(text)
    )
        kinds.add("latency");
    return [...kinds];
}

const ALARM_TYPES = [
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "gcp:monitoring/alertPolicy:AlertPolicy",
    "oci:Monitoring/alarm:Alarm",
];
const UPTIME_TYPES = [
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
    "aws:route53/healthCheck:HealthCheck",
    "oci:HealthChecks/httpMonitor:HttpMonitor",
];

/** The property holding an alarm's actions, per alarm type. */
const ACTIONS: Record<string, string> = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarmActions",
    "gcp:monitoring/alertPolicy:AlertPolicy": "notificationChannels",
    "oci:Monitoring/alarm:Alarm": "destinations",
};

/** The service a resource is stamped for: AWS tags, GCP labels, OCI free-form tags (no ':' in OCI keys). Pure. */
export function stampedService(props: Record<string, any>): string | undefined {
    return (
        props.tags?.["service-deploy:service"] ??
        props.userLabels?.["service-deploy-service"] ??
        props.freeformTags?.["service-deploy-service"]
    );
}

export function serviceHasAlarms(
    name = "service-has-alarms",
    opts: PolicyOptions = {},
): StackValidationPolicy {
    return {
        name,
        description:
            "Every ECS, Cloud Run and VM service has an error-rate alarm and a latency or uptime alarm, and every alarm has an action.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        validateStack: (args, report) => {
            const alarms = args.resources.filter((r) => ALARM_TYPES.includes(r.type));
            for (const a of alarms) {
                const actions = a.props[ACTIONS[a.type]];
                if (!actions || actions.length === 0)
                    report(
                        cite(
                            "SD-016",
                            `alarm "${a.name}" has no action: nobody is told when it fires (set ${ACTIONS[a.type]}).`,
                        ),
                        a.urn,
                    );
            }
            const stampedFor = (service: string) =>
                [...alarms, ...args.resources.filter((r) => UPTIME_TYPES.includes(r.type))].filter(
                    (r) => stampedService(r.props) === service,
                );
            const need = (what: string, service: string, linked: PolicyResource[], urn: string) => {
                const kinds = new Set(
                    linked.flatMap((r) =>
                        UPTIME_TYPES.includes(r.type) ? ["latency" as Kind] : alarmKinds(r.props),
                    ),
                );
                const missing = (["error-rate", "latency"] as Kind[]).filter((k) => !kinds.has(k));
                if (missing.length > 0)
                    report(
                        cite(
                            "SD-016",
                            `${what} "${service}" has no ${missing.map((k) => (k === "latency" ? "latency or uptime" : k)).join(" and no ")} alarm.`,
                        ),
                        urn,
                    );
            };
            for (const svc of args.resources.filter((r) => r.type === "aws:ecs/service:Service")) {
                const service = String(svc.props.name ?? svc.name);
                const linked = [
                    ...(svc.propertyDependencies?.alarms ?? []),
                    ...alarms.filter((a) => a.props.dimensions?.ServiceName === service),
                    ...stampedFor(service),
                ];
                need("ECS service", service, linked, svc.urn);
            }
            for (const svc of args.resources.filter((r) => r.type === "gcp:cloudrunv2/service:Service")) {
                const service = String(svc.props.name ?? svc.name);
                const filterNames = new RegExp(`service_name\\s*=\\s*\\\\?"${service}\\\\?"`);
                const linked = alarms.filter((a) =>
                    filterNames.test(JSON.stringify(a.props.conditions ?? [])),
                );
                need("Cloud Run service", service, [...linked, ...stampedFor(service)], svc.urn);
            }
            for (const cmd of args.resources.filter((r) => r.type === "command:remote:Command")) {
                for (const w of vmWorkloads(cmd.props))
                    need("VM service", w.service, stampedFor(w.service), cmd.urn);
            }
        },
    };
}
