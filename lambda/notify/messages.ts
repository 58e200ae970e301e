/**
 * What a person reads when an alarm changes state: the CloudWatch alarm, as SNS delivers it to a
 * Lambda, turned into a Slack message, a PagerDuty Events API v2 event and the documented
 * generic webhook payload (docs/notifications.md#generic-webhook-payload). Pure: node built-ins
 * only, so the same code runs in Lambda (nodejs20.x), in tests and in the offline plan.
 *
 * The SNS record and the alarm message follow AWS's published samples (aws/aws-lambda-go
 * events/testdata/cloudwatch-alarm-sns-payload-{single,multiple}-metric(s).json, committed under
 * test/fixtures/aws-samples/): `Records[].Sns.Message` is the alarm as a JSON string with
 * AlarmName, AlarmDescription, NewStateValue, OldStateValue, NewStateReason, StateChangeTime,
 * Region, AlarmArn and a Trigger that names a metric (MetricName, Namespace, Statistic,
 * Dimensions) or, for a metric-math alarm, a `Metrics` list whose ReturnData entry is the
 * expression.
 */

export type NotifyEvent = "alerts" | "rollbacks" | "recoveries";

export interface AlarmContext {
    /** `service-deploy-<stack>`: the prefix of every alarm name the stack creates. */
    prefix: string;
    environment: string;
    /** Where the service runs: aws, or vm (the uptime alarms of a VM service). */
    target: string;
    /** The stack's services, to read the service from an alarm's name. */
    services: string[];
    /** Base URL of the runbook; the section is appended as #anchor. */
    runbookUrl: string;
}

export interface Alarm {
    name: string;
    description: string;
    state: "ALARM" | "OK" | "INSUFFICIENT_DATA";
    oldState: string;
    reason: string;
    time: string;
    region: string;
    arn: string;
    /** "metric > threshold" in words, e.g. "HTTPCode_Target_5XX_Count (Sum) GreaterThanThreshold 5". */
    metric: string;
    comparison: string;
    threshold?: number;
    /** The datapoint that crossed, read from NewStateReason. */
    value?: number;
}

/** The alarm inside an SNS record, or an error naming what is missing. Pure. */
export function parseAlarm(snsMessage: string): Alarm {
    let m: any;
    try {
        m = JSON.parse(snsMessage);
    } catch {
        throw new Error("the SNS message is not JSON, so it is not a CloudWatch alarm notification");
    }
    if (!m || typeof m.AlarmName !== "string" || typeof m.NewStateValue !== "string")
        throw new Error(
            "the SNS message has no AlarmName/NewStateValue: not a CloudWatch alarm notification",
        );
    const t = m.Trigger ?? {};
    let metric: string;
    if (Array.isArray(t.Metrics) && t.Metrics.length > 0) {
        // Metric math: the expression that returns data, and the metrics it reads.
        const out = t.Metrics.find((x: any) => x.ReturnData) ?? t.Metrics[0];
        const inputs = t.Metrics.filter((x: any) => x.MetricStat)
            .map((x: any) => `${x.Id}=${x.MetricStat.Metric?.MetricName} (${x.MetricStat.Stat})`)
            .join(", ");
        metric = `${out.Label ?? out.Id} = ${out.Expression ?? out.Id}${inputs ? ` where ${inputs}` : ""}`;
    } else {
        const stat = t.ExtendedStatistic ?? t.Statistic ?? "";
        metric = `${t.MetricName ?? "metric"}${stat ? ` (${String(stat).toLowerCase()})` : ""}`;
    }
    const value =
        /\[(-?[\d.]+(?:E[+-]?\d+)?) \(/i.exec(m.NewStateReason ?? "")?.[1] ??
        /datapoints? \((-?[\d.]+(?:E[+-]?\d+)?)\)/i.exec(m.NewStateReason ?? "")?.[1];
    return {
        name: m.AlarmName,
        description: typeof m.AlarmDescription === "string" ? m.AlarmDescription : "",
        state: m.NewStateValue,
        oldState: m.OldStateValue ?? "",
        reason: m.NewStateReason ?? "",
        time: m.StateChangeTime ?? "",
        region: m.Region ?? "",
        arn: m.AlarmArn ?? "",
        metric,
        comparison: t.ComparisonOperator ?? "",
        ...(typeof t.Threshold === "number" ? { threshold: t.Threshold } : {}),
        ...(value !== undefined ? { value: Number(value) } : {}),
    };
}

interface Role {
    /** The runbook section (anchor in docs/notifications.md). */
    runbook: string;
    /** What the system does on its own when this alarm fires. */
    action: string;
    rollback?: boolean;
}

/** What an alarm of this stack is, from its name's role suffix. Pure. */
export function roleOf(alarm: Pick<Alarm, "name" | "metric">, ctx: AlarmContext): Role & { service: string } {
    const rest = alarm.name.startsWith(`${ctx.prefix}-`)
        ? alarm.name.slice(ctx.prefix.length + 1)
        : alarm.name;
    const service =
        [...ctx.services].sort((a, b) => b.length - a.length).find((s) => rest.startsWith(`${s}-`)) ??
        (rest.startsWith("db-") ? "database" : (ctx.services.find((s) => alarm.name.includes(s)) ?? "?"));
    const role = rest.startsWith(`${service}-`) ? rest.slice(service.length + 1) : rest;
    if (role.startsWith("rollback-"))
        return {
            service,
            runbook: "rollback-alarms",
            action: "ECS rolls the blue-green deployment back to the previous revision",
            rollback: true,
        };
    if (role.startsWith("5xx")) return { service, runbook: "error-rate", action: "nothing automatic" };
    if (role.startsWith("p95")) return { service, runbook: "latency", action: "nothing automatic" };
    if (role.startsWith("unhealthy-"))
        return {
            service,
            runbook: "unhealthy-targets",
            action: "ECS replaces tasks that fail health checks",
        };
    if (role === "cpu" || role === "memory")
        return { service, runbook: "cpu-and-memory", action: "nothing automatic" };
    if (role.startsWith("db-")) return { service, runbook: "database", action: "nothing automatic" };
    if (/Route53|HealthCheck|TimeToFirstByte/.test(alarm.metric) || ctx.target === "vm")
        return {
            service,
            runbook: "uptime",
            action: "the VM watchdog restarts the container after 3 failed /health checks (it reports that itself)",
        };
    return { service, runbook: "alarms", action: "nothing automatic" };
}

/** Which destinations' filter an alarm state change passes: OK is a recovery, a rollback alarm a rollback. Pure. */
export function eventOf(alarm: Pick<Alarm, "state">, role: Pick<Role, "rollback">): NotifyEvent {
    if (alarm.state === "OK") return "recoveries";
    return role.rollback && alarm.state === "ALARM" ? "rollbacks" : "alerts";
}

const COMPARISON: Record<string, string> = {
    GreaterThanThreshold: ">",
    GreaterThanOrEqualToThreshold: ">=",
    LessThanThreshold: "<",
    LessThanOrEqualToThreshold: "<=",
};

export interface Notice {
    event: NotifyEvent;
    service: string;
    /** One line a person can act on. */
    summary: string;
    /** The longer lines: what crossed, what the system did, where to read. */
    details: string[];
    runbook: string;
    severity: "critical" | "error" | "warning" | "info";
    /** Stable per alarm, so PagerDuty resolves the incident the alarm opened. */
    dedupKey: string;
}

/** The actionable notice for an alarm state change. Pure. */
export function noticeOf(alarm: Alarm, ctx: AlarmContext): Notice {
    const role = roleOf(alarm, ctx);
    const event = eventOf(alarm, role);
    const op = COMPARISON[alarm.comparison] ?? alarm.comparison;
    const crossed =
        alarm.state === "INSUFFICIENT_DATA"
            ? `${alarm.metric} has no data to evaluate (${alarm.reason})`
            : `${alarm.metric} ${alarm.state === "OK" ? "is back within" : "crossed"} ${op} ${alarm.threshold ?? "?"}` +
              (alarm.value !== undefined ? `: current value ${alarm.value}` : "");
    const did =
        alarm.state === "OK"
            ? "recovered; nothing to do unless it flaps"
            : alarm.state === "ALARM"
              ? `the system: ${role.action}`
              : "the system: nothing (no data); check that the service and its metrics exist";
    const where = `${role.service} (${ctx.environment}, ${ctx.target})`;
    const headline =
        alarm.state === "OK"
            ? `RECOVERED ${where}: ${alarm.description || alarm.name}`
            : alarm.state === "ALARM"
              ? `${role.rollback ? "ROLLBACK" : "ALARM"} ${where}: ${alarm.description || alarm.name}`
              : `NO DATA ${where}: ${alarm.description || alarm.name}`;
    const runbook = `${ctx.runbookUrl}#${role.runbook}`;
    return {
        event,
        service: role.service,
        summary: `${headline}. ${crossed}`.slice(0, 1000),
        details: [
            `alarm ${alarm.name} ${alarm.oldState || "?"} -> ${alarm.state} at ${alarm.time} (${alarm.region})`,
            crossed,
            did,
            `runbook: ${runbook}`,
        ],
        runbook,
        severity:
            alarm.state === "OK"
                ? "info"
                : role.rollback
                  ? "critical"
                  : alarm.state === "ALARM"
                    ? "error"
                    : "warning",
        dedupKey: alarm.arn || alarm.name,
    };
}

/** A Slack incoming-webhook message: `text` (the notification line) and blocks. Pure. */
export function slackMessage(n: Notice): { text: string; blocks: object[] } {
    return {
        text: n.summary,
        blocks: [
            { type: "section", text: { type: "mrkdwn", text: `*${n.summary}*` } },
            { type: "context", elements: n.details.map((d) => ({ type: "mrkdwn", text: d })) },
        ],
    };
}

/** A PagerDuty Events API v2 event: trigger on ALARM/no data, resolve on OK, keyed by the alarm. Pure. */
export function pagerDutyEvent(n: Notice, routingKey: string, source: string): object {
    if (n.event === "recoveries")
        return { routing_key: routingKey, event_action: "resolve", dedup_key: n.dedupKey };
    return {
        routing_key: routingKey,
        event_action: "trigger",
        dedup_key: n.dedupKey,
        payload: {
            summary: n.summary.slice(0, 1024),
            severity: n.severity,
            source,
            component: n.service,
            custom_details: { details: n.details },
        },
        links: [{ href: n.runbook, text: "runbook" }],
    };
}

/** The generic webhook payload, version 1 (docs/notifications.md#generic-webhook-payload). Pure. */
export function webhookPayload(n: Notice, ctx: Pick<AlarmContext, "environment" | "target">): object {
    return {
        version: 1,
        event: n.event,
        severity: n.severity,
        service: n.service,
        environment: ctx.environment,
        target: ctx.target,
        summary: n.summary,
        details: n.details,
        runbook: n.runbook,
        dedupKey: n.dedupKey,
    };
}
