/**
 * Cross-field rules AWS documents in the models' text (recorded in the extract's `docs`), which
 * the machine-readable constraints cannot express: Fargate task sizes, PutMetricAlarm's periods,
 * metric math ids and M of N.
 */
import type { Violation } from "./aws-model";

/**
 * Fargate task sizes: cpu units to the memory (MiB) each allows, from RegisterTaskDefinition's
 * `memory` documentation (docs["ecs.RegisterTaskDefinitionRequest.memory"] in the extract).
 */
export const FARGATE_SIZES: Record<string, (memoryMiB: number) => boolean> = {
    "256": (m) => [512, 1024, 2048].includes(m),
    "512": (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
    "1024": (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
    "2048": (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
    "4096": (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
    "8192": (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
    "16384": (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

/** Fargate's task-size rule for one RegisterTaskDefinition request. Pure. */
export function fargateSizeViolations(req: Record<string, any>): Violation[] {
    if (!(req.requiresCompatibilities ?? []).includes("FARGATE")) return [];
    const rule =
        "ecs RegisterTaskDefinition: on Fargate, cpu and memory must be one of the documented task sizes";
    if (req.cpu === undefined || req.memory === undefined)
        return [
            {
                field: req.cpu === undefined ? "cpu" : "memory",
                value: undefined,
                rule: `${rule} (both are required)`,
            },
        ];
    const allows = FARGATE_SIZES[String(req.cpu)];
    if (!allows)
        return [
            {
                field: "cpu",
                value: req.cpu,
                rule: `${rule}: cpu one of ${Object.keys(FARGATE_SIZES).join(", ")}`,
            },
        ];
    if (!allows(Number(req.memory)))
        return [
            {
                field: "memory",
                value: req.memory,
                rule: `${rule}: memory ${req.memory} is not allowed with cpu ${req.cpu}`,
            },
        ];
    return [];
}

/** Metric math id: "letters, numbers, and underscore. The first character must be a lowercase letter." */
export const METRIC_ID = /^[a-z][A-Za-z0-9_]*$/;
const isAlarmPeriod = (p: number) => [10, 20, 30].includes(p) || (p > 0 && p % 60 === 0);

/**
 * PutMetricAlarm's documented cross-field rules (docs["cloudwatch.PutMetricAlarmInput.*"],
 * ["cloudwatch.MetricDataQuery.*"]): valid periods, metric math ids, exactly one ReturnData,
 * no top-level metric with Metrics, M of N with M <= N, the one-day window below hourly
 * periods. Pure.
 */
export function metricAlarmViolations(req: Record<string, any>): Violation[] {
    const out: Violation[] = [];
    const periods: [string, number][] = [];
    if (req.Period !== undefined) periods.push(["Period", req.Period]);
    const metrics: Record<string, any>[] = req.Metrics ?? [];
    metrics.forEach((m, i) => {
        if (m.MetricStat?.Period !== undefined)
            periods.push([`Metrics[${i}].MetricStat.Period`, m.MetricStat.Period]);
        if (m.Period !== undefined) periods.push([`Metrics[${i}].Period`, m.Period]);
        if (typeof m.Id === "string" && !METRIC_ID.test(m.Id))
            out.push({
                field: `Metrics[${i}].Id`,
                value: m.Id,
                rule: "cloudwatch MetricDataQuery.Id: letters, numbers and underscore, first character a lowercase letter",
            });
        if (m.Expression === undefined && m.MetricStat === undefined)
            out.push({
                field: `Metrics[${i}]`,
                value: m.Id,
                rule: "cloudwatch MetricDataQuery: each item either retrieves a metric (MetricStat) or is an Expression",
            });
    });
    for (const [field, p] of periods)
        if (!isAlarmPeriod(p))
            out.push({
                field,
                value: p,
                rule: "cloudwatch PutMetricAlarm: Period is 10, 20, 30 or a multiple of 60",
            });
    if (metrics.length > 0) {
        const ids = metrics.map((m) => m.Id);
        const dup = ids.find((id, i) => ids.indexOf(id) !== i);
        if (dup !== undefined)
            out.push({
                field: "Metrics",
                value: dup,
                rule: "cloudwatch MetricDataQuery.Id must be unique in the alarm",
            });
        const returning = metrics.filter((m) => m.ReturnData === true);
        if (returning.length !== 1)
            out.push({
                field: "Metrics",
                value: returning.map((m) => m.Id),
                rule: "cloudwatch PutMetricAlarm: ReturnData true on exactly one item, false on the others",
            });
        for (const top of [
            "Namespace",
            "MetricName",
            "Dimensions",
            "Period",
            "Unit",
            "Statistic",
            "ExtendedStatistic",
        ])
            if (req[top] !== undefined)
                out.push({
                    field: top,
                    value: req[top],
                    rule: `cloudwatch PutMetricAlarm: with Metrics, ${top} belongs inside the Metrics array`,
                });
    } else if (req.MetricName === undefined && req.EvaluationCriteria === undefined) {
        out.push({
            field: "MetricName",
            value: undefined,
            rule: "cloudwatch PutMetricAlarm: MetricName, Metrics or EvaluationCriteria is required",
        });
    }
    if (
        req.DatapointsToAlarm !== undefined &&
        req.EvaluationPeriods !== undefined &&
        req.DatapointsToAlarm > req.EvaluationPeriods
    )
        out.push({
            field: "DatapointsToAlarm",
            value: req.DatapointsToAlarm,
            rule: `cloudwatch PutMetricAlarm: M of N needs DatapointsToAlarm <= EvaluationPeriods (${req.EvaluationPeriods})`,
        });
    const period = Math.max(0, ...periods.map(([, p]) => p));
    if (req.EvaluationPeriods !== undefined && period > 0) {
        const total = period * req.EvaluationPeriods;
        const limit = period < 3600 ? 86400 : 604800;
        if (total > limit)
            out.push({
                field: "EvaluationPeriods",
                value: req.EvaluationPeriods,
                rule: `cloudwatch PutMetricAlarm: Period x EvaluationPeriods at most ${limit} s (got ${total})`,
            });
    }
    return out;
}
