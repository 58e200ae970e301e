/**
 * AWS conformance: each AWS resource of the offline graph is mapped to the API request(s) the
 * provider sends for it (RegisterTaskDefinition, CreateService, PutMetricAlarm, ...), and each
 * request is checked against AWS's own service models: required members, enums, min/max
 * (length, count or value), string patterns, plus the cross-field rules AWS documents in the
 * same models' text (Fargate cpu/memory pairs, metric math ids and periods).
 *
 * Source of truth: botocore's `data/<service>/<version>/service-2.json` (Apache-2.0), recorded in
 * `rules/aws-botocore.json` by `extract-aws.py` with the botocore version it read (1.43.11 at
 * the time of writing). Only the extract is read here, so a machine without botocore runs it.
 *
 * Patterns are matched against the whole value. The models' patterns are Smithy/Java patterns
 * that AWS's validators apply as a full match (e.g. ECS's TagValue `([\p{L}\p{Z}\p{N}_.:/=+\-@]*)`
 * has no anchors, yet RegisterTaskDefinition refuses a comma in a tag value).
 *
 * The mapping from a Pulumi resource to its request follows the provider's create calls
 * (pulumi-aws bridges terraform-provider-aws: internal/service/<service>/<resource>.go). Only the
 * members the program sets are mapped; a value the engine does not know offline is skipped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isSecretValue, type RecordedResource } from "../offline";
import type { Checker, Finding } from "./index";

// ---------------------------------------------------------------------------------------------
// The recorded models
// ---------------------------------------------------------------------------------------------

export interface Shape {
    type: string;
    required?: string[];
    enum?: string[];
    min?: number;
    max?: number;
    pattern?: string;
    members?: Record<string, string>;
    member?: string;
    key?: string;
    value?: string;
}

export interface AwsRules {
    source: string;
    botocore: string;
    services: Record<
        string,
        { apiVersion: string; operations: Record<string, string>; shapes: Record<string, Shape> }
    >;
    docs: Record<string, string>;
}

export const RULES_FILE = path.join(__dirname, "rules", "aws-botocore.json");
let loaded: AwsRules | undefined;
export function awsRules(): AwsRules {
    loaded ??= JSON.parse(fs.readFileSync(RULES_FILE, "utf8")) as AwsRules;
    return loaded;
}

const patternCache = new Map<string, RegExp | null>();
/** A model pattern as a full-match JavaScript regex (Unicode mode for `\p{L}`), or null when JS cannot express it. */
export function modelPattern(p: string): RegExp | null {
    if (patternCache.has(p)) return patternCache.get(p) ?? null;
    let re: RegExp | null = null;
    for (const flags of ["u", ""]) {
        try {
            re = new RegExp(`^(?:${p})$`, flags);
            break;
        } catch {
            re = null;
        }
    }
    patternCache.set(p, re);
    return re;
}

// ---------------------------------------------------------------------------------------------
// Generic validation of a request against a shape
// ---------------------------------------------------------------------------------------------

export interface Violation {
    field: string;
    value: unknown;
    rule: string;
}

const isNumberType = (t: string) => ["integer", "long", "float", "double"].includes(t);

/** Check `value` against `shapeName` of a service's model; appends one violation per broken rule. Pure. */
export function validateShape(
    service: string,
    shapeName: string,
    value: unknown,
    field: string,
    out: Violation[],
    rules: AwsRules = awsRules(),
): void {
    if (value === undefined || value === null) return;
    const shapes = rules.services[service].shapes;
    const s = shapes[shapeName];
    if (!s) return;
    const where = `${service} ${shapeName}`;
    switch (s.type) {
        case "structure": {
            if (typeof value !== "object" || Array.isArray(value)) {
                out.push({ field, value, rule: `${where} is a structure` });
                return;
            }
            const v = value as Record<string, unknown>;
            for (const req of s.required ?? [])
                if (v[req] === undefined)
                    out.push({
                        field: join(field, req),
                        value: undefined,
                        rule: `${where}: ${req} is required`,
                    });
            for (const [k, x] of Object.entries(v)) {
                const m = s.members?.[k];
                if (!m) {
                    out.push({ field: join(field, k), value: x, rule: `${where} has no member ${k}` });
                    continue;
                }
                validateShape(service, m, x, join(field, k), out, rules);
            }
            return;
        }
        case "list": {
            if (!Array.isArray(value)) {
                out.push({ field, value, rule: `${where} is a list` });
                return;
            }
            if (s.min !== undefined && value.length < s.min)
                out.push({ field, value, rule: `${where}: at least ${s.min} item(s)` });
            if (s.max !== undefined && value.length > s.max)
                out.push({ field, value, rule: `${where}: at most ${s.max} item(s)` });
            for (const [i, x] of value.entries())
                validateShape(service, s.member as string, x, `${field}[${i}]`, out, rules);
            return;
        }
        case "map": {
            if (typeof value !== "object" || Array.isArray(value)) {
                out.push({ field, value, rule: `${where} is a map` });
                return;
            }
            const entries = Object.entries(value as Record<string, unknown>);
            if (s.min !== undefined && entries.length < s.min)
                out.push({ field, value, rule: `${where}: at least ${s.min} entries` });
            if (s.max !== undefined && entries.length > s.max)
                out.push({ field, value, rule: `${where}: at most ${s.max} entries` });
            for (const [k, x] of entries) {
                validateShape(service, s.key as string, k, `${field}{${k}}`, out, rules);
                validateShape(service, s.value as string, x, `${field}.${k}`, out, rules);
            }
            return;
        }
        case "string": {
            if (typeof value !== "string") {
                out.push({ field, value, rule: `${where} is a string` });
                return;
            }
            if (s.enum && !s.enum.includes(value))
                out.push({ field, value, rule: `${where}: one of ${s.enum.join(", ")}` });
            const len = [...value].length;
            if (s.min !== undefined && len < s.min)
                out.push({ field, value, rule: `${where}: length at least ${s.min} (got ${len})` });
            if (s.max !== undefined && len > s.max)
                out.push({ field, value, rule: `${where}: length at most ${s.max} (got ${len})` });
            if (s.pattern) {
                const re = modelPattern(s.pattern);
                if (re && !re.test(value))
                    out.push({ field, value, rule: `${where}: must match ${s.pattern}` });
            }
            return;
        }
        case "boolean":
            if (typeof value !== "boolean") out.push({ field, value, rule: `${where} is a boolean` });
            return;
        default:
            if (isNumberType(s.type)) {
                if (typeof value !== "number" || Number.isNaN(value)) {
                    out.push({ field, value, rule: `${where} is a number (${s.type})` });
                    return;
                }
                if ((s.type === "integer" || s.type === "long") && !Number.isInteger(value))
                    out.push({ field, value, rule: `${where} is an ${s.type}` });
                if (s.min !== undefined && value < s.min)
                    out.push({ field, value, rule: `${where}: at least ${s.min}` });
                if (s.max !== undefined && value > s.max)
                    out.push({ field, value, rule: `${where}: at most ${s.max}` });
            }
    }
}

function join(field: string, k: string): string {
    return field ? `${field}.${k}` : k;
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules AWS documents in the models' text (recorded in the extract's `docs`)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Pulumi resource -> API request(s)
// ---------------------------------------------------------------------------------------------

export interface ApiRequest {
    service: string;
    operation: string;
    request: Record<string, unknown>;
}

type Inputs = Record<string, any>;
const tagList = (tags: Record<string, string> | undefined, k = "Key", v = "Value") =>
    tags && Object.keys(tags).length > 0
        ? Object.entries(tags).map(([key, value]) => ({ [k]: key, [v]: value }))
        : undefined;
const ec2Tags = (type: string, tags: Record<string, string> | undefined) =>
    tags && Object.keys(tags).length > 0 ? [{ ResourceType: type, Tags: tagList(tags) }] : undefined;
const num = (v: unknown) => (v === undefined ? undefined : Number(v));
const clean = (o: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
        if (v === undefined) continue;
        out[k] = v && typeof v === "object" && !Array.isArray(v) ? clean(v as Record<string, unknown>) : v;
    }
    return out;
};
const json = (s: unknown) => {
    try {
        return typeof s === "string" ? JSON.parse(s) : s;
    } catch {
        return undefined;
    }
};
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** lowerCamel keys to the UpperCamel the query/JSON protocols of ELB, CloudWatch and RDS use. */
const upper = (v: unknown): unknown =>
    Array.isArray(v)
        ? v.map(upper)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [cap(k), upper(x)]))
          : v;

/** The name the provider sends: the input, or the auto-name it made (the mock's state). */
const nameOf = (r: RecordedResource, i: Inputs): string | undefined =>
    (i.name as string | undefined) ?? (r.state.name as string | undefined);

function elbAction(a: Inputs): Record<string, unknown> {
    return clean({
        Type: a.type,
        TargetGroupArn: a.targetGroupArn,
        Order: a.order,
        RedirectConfig: a.redirect && upper(a.redirect),
        FixedResponseConfig: a.fixedResponse && upper(a.fixedResponse),
        ForwardConfig: a.forward && {
            TargetGroups: a.forward.targetGroups?.map((t: Inputs) =>
                clean({ TargetGroupArn: t.arn, Weight: t.weight }),
            ),
            TargetGroupStickinessConfig: a.forward.stickiness && upper(a.forward.stickiness),
        },
    });
}

function elbCondition(c: Inputs): Record<string, unknown> {
    if (c.pathPattern) return { Field: "path-pattern", PathPatternConfig: { Values: c.pathPattern.values } };
    if (c.hostHeader) return { Field: "host-header", HostHeaderConfig: { Values: c.hostHeader.values } };
    if (c.sourceIp) return { Field: "source-ip", SourceIpConfig: { Values: c.sourceIp.values } };
    if (c.httpHeader)
        return {
            Field: "http-header",
            HttpHeaderConfig: { HttpHeaderName: c.httpHeader.httpHeaderName, Values: c.httpHeader.values },
        };
    return upper(c) as Record<string, unknown>;
}

function ipPermission(i: Inputs): Record<string, unknown> {
    return clean({
        IpProtocol: i.ipProtocol,
        FromPort: i.fromPort,
        ToPort: i.toPort,
        IpRanges: i.cidrIpv4 ? [clean({ CidrIp: i.cidrIpv4, Description: i.description })] : undefined,
        Ipv6Ranges: i.cidrIpv6 ? [clean({ CidrIpv6: i.cidrIpv6, Description: i.description })] : undefined,
        PrefixListIds: i.prefixListId
            ? [clean({ PrefixListId: i.prefixListId, Description: i.description })]
            : undefined,
        UserIdGroupPairs: i.referencedSecurityGroupId
            ? [clean({ GroupId: i.referencedSecurityGroupId, Description: i.description })]
            : undefined,
    });
}

const MAPPERS: Record<string, (r: RecordedResource, i: Inputs) => ApiRequest[]> = {
    "aws:ecs/taskDefinition:TaskDefinition": (_r, i) => [
        {
            service: "ecs",
            operation: "RegisterTaskDefinition",
            request: clean({
                family: i.family,
                containerDefinitions: json(i.containerDefinitions),
                cpu: i.cpu,
                memory: i.memory,
                networkMode: i.networkMode,
                requiresCompatibilities: i.requiresCompatibilities,
                runtimePlatform: i.runtimePlatform,
                executionRoleArn: i.executionRoleArn,
                taskRoleArn: i.taskRoleArn,
                ephemeralStorage: i.ephemeralStorage,
                tags: tagList(i.tags, "key", "value"),
            }),
        },
    ],
    "aws:ecs/service:Service": (r, i) => [
        {
            service: "ecs",
            operation: "CreateService",
            request: clean({
                serviceName: nameOf(r, i),
                cluster: i.cluster,
                taskDefinition: i.taskDefinition,
                desiredCount: i.desiredCount,
                launchType: i.launchType,
                platformVersion: i.platformVersion,
                healthCheckGracePeriodSeconds: i.healthCheckGracePeriodSeconds,
                propagateTags: i.propagateTags,
                enableECSManagedTags: i.enableEcsManagedTags,
                enableExecuteCommand: i.enableExecuteCommand,
                deploymentController: i.deploymentController,
                networkConfiguration: i.networkConfiguration && {
                    awsvpcConfiguration: clean({
                        subnets: i.networkConfiguration.subnets,
                        securityGroups: i.networkConfiguration.securityGroups,
                        assignPublicIp:
                            i.networkConfiguration.assignPublicIp === undefined
                                ? undefined
                                : i.networkConfiguration.assignPublicIp
                                  ? "ENABLED"
                                  : "DISABLED",
                    }),
                },
                deploymentConfiguration: clean({
                    maximumPercent: i.deploymentMaximumPercent,
                    minimumHealthyPercent: i.deploymentMinimumHealthyPercent,
                    deploymentCircuitBreaker: i.deploymentCircuitBreaker,
                    alarms: i.alarms,
                    strategy: i.deploymentConfiguration?.strategy,
                    bakeTimeInMinutes: num(i.deploymentConfiguration?.bakeTimeInMinutes),
                    lifecycleHooks: i.deploymentConfiguration?.lifecycleHooks?.map((h: Inputs) =>
                        clean({
                            hookTargetArn: h.hookTargetArn,
                            roleArn: h.roleArn,
                            lifecycleStages: h.lifecycleStages,
                            hookDetails: h.hookDetails === undefined ? undefined : json(h.hookDetails),
                        }),
                    ),
                }),
                loadBalancers: i.loadBalancers,
                tags: tagList(i.tags, "key", "value"),
            }),
        },
    ],
    "aws:ecs/cluster:Cluster": (r, i) => [
        {
            service: "ecs",
            operation: "CreateCluster",
            request: clean({
                clusterName: nameOf(r, i),
                settings: i.settings,
                tags: tagList(i.tags, "key", "value"),
            }),
        },
    ],
    "aws:lb/loadBalancer:LoadBalancer": (r, i) => [
        {
            service: "elbv2",
            operation: "CreateLoadBalancer",
            request: clean({
                Name: nameOf(r, i),
                Type: i.loadBalancerType,
                Scheme: i.internal === undefined ? undefined : i.internal ? "internal" : "internet-facing",
                IpAddressType: i.ipAddressType,
                SecurityGroups: i.securityGroups,
                Subnets: i.subnets,
                Tags: tagList(i.tags),
            }),
        },
        {
            service: "elbv2",
            operation: "ModifyLoadBalancerAttributes",
            request: {
                LoadBalancerArn: r.state.arn,
                Attributes: [
                    ["deletion_protection.enabled", i.enableDeletionProtection],
                    ["idle_timeout.timeout_seconds", i.idleTimeout],
                    ["routing.http.drop_invalid_header_fields.enabled", i.dropInvalidHeaderFields],
                    ["access_logs.s3.enabled", i.accessLogs ? (i.accessLogs.enabled ?? true) : undefined],
                    ["access_logs.s3.bucket", i.accessLogs?.bucket],
                    ["access_logs.s3.prefix", i.accessLogs?.prefix],
                ]
                    .filter(([, v]) => v !== undefined)
                    .map(([Key, v]) => ({ Key, Value: String(v) })),
            },
        },
    ],
    "aws:lb/targetGroup:TargetGroup": (r, i) => [
        {
            service: "elbv2",
            operation: "CreateTargetGroup",
            request: clean({
                Name: nameOf(r, i),
                Protocol: i.protocol,
                Port: i.port,
                VpcId: i.vpcId,
                TargetType: i.targetType,
                HealthCheckEnabled: i.healthCheck?.enabled,
                HealthCheckPath: i.healthCheck?.path,
                HealthCheckProtocol: i.healthCheck?.protocol,
                HealthCheckPort: i.healthCheck?.port,
                HealthCheckIntervalSeconds: i.healthCheck?.interval,
                HealthCheckTimeoutSeconds: i.healthCheck?.timeout,
                HealthyThresholdCount: i.healthCheck?.healthyThreshold,
                UnhealthyThresholdCount: i.healthCheck?.unhealthyThreshold,
                Matcher: i.healthCheck?.matcher ? { HttpCode: i.healthCheck.matcher } : undefined,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:lb/listener:Listener": (_r, i) => [
        {
            service: "elbv2",
            operation: "CreateListener",
            request: clean({
                LoadBalancerArn: i.loadBalancerArn,
                Port: i.port,
                Protocol: i.protocol,
                SslPolicy: i.sslPolicy,
                Certificates: i.certificateArn ? [{ CertificateArn: i.certificateArn }] : undefined,
                DefaultActions: (i.defaultActions ?? []).map(elbAction),
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:lb/listenerRule:ListenerRule": (_r, i) => [
        {
            service: "elbv2",
            operation: "CreateRule",
            request: clean({
                ListenerArn: i.listenerArn,
                Priority: i.priority,
                Conditions: (i.conditions ?? []).map(elbCondition),
                Actions: (i.actions ?? []).map(elbAction),
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": (r, i) => [
        {
            service: "cloudwatch",
            operation: "PutMetricAlarm",
            request: clean({
                AlarmName: nameOf(r, i),
                AlarmDescription: i.alarmDescription,
                ActionsEnabled: i.actionsEnabled,
                AlarmActions: i.alarmActions,
                OKActions: i.okActions,
                InsufficientDataActions: i.insufficientDataActions,
                MetricName: i.metricName,
                Namespace: i.namespace,
                Statistic: i.statistic,
                ExtendedStatistic: i.extendedStatistic,
                Dimensions:
                    i.dimensions && Object.entries(i.dimensions).map(([Name, Value]) => ({ Name, Value })),
                Period: i.period,
                Unit: i.unit,
                EvaluationPeriods: i.evaluationPeriods,
                DatapointsToAlarm: i.datapointsToAlarm,
                Threshold: i.threshold,
                ComparisonOperator: i.comparisonOperator,
                TreatMissingData: i.treatMissingData,
                ThresholdMetricId: i.thresholdMetricId,
                Metrics: i.metricQueries?.map((q: Inputs) =>
                    clean({
                        Id: q.id,
                        Expression: q.expression,
                        Label: q.label,
                        // terraform-provider-aws sends the SDKv2 zero value when unset: false.
                        ReturnData: q.returnData ?? false,
                        Period: q.period,
                        AccountId: q.accountId,
                        MetricStat: q.metric && {
                            Metric: clean({
                                Namespace: q.metric.namespace,
                                MetricName: q.metric.metricName,
                                Dimensions:
                                    q.metric.dimensions &&
                                    Object.entries(q.metric.dimensions).map(([Name, Value]) => ({
                                        Name,
                                        Value,
                                    })),
                            }),
                            Period: q.metric.period,
                            Stat: q.metric.stat,
                            Unit: q.metric.unit,
                        },
                    }),
                ),
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:rds/instance:Instance": (r, i) => [
        {
            service: "rds",
            operation: "CreateDBInstance",
            request: clean({
                DBInstanceIdentifier: i.identifier ?? r.state.identifier,
                DBInstanceClass: i.instanceClass,
                Engine: i.engine,
                EngineVersion: i.engineVersion,
                DBName: i.dbName,
                MasterUsername: i.username,
                MasterUserPassword: i.password,
                ManageMasterUserPassword: i.manageMasterUserPassword,
                AllocatedStorage: i.allocatedStorage,
                MaxAllocatedStorage: i.maxAllocatedStorage,
                StorageType: undefined,
                StorageEncrypted: i.storageEncrypted,
                MultiAZ: i.multiAz,
                BackupRetentionPeriod: i.backupRetentionPeriod,
                PreferredBackupWindow: i.backupWindow,
                PreferredMaintenanceWindow: i.maintenanceWindow,
                DBSubnetGroupName: i.dbSubnetGroupName,
                DBParameterGroupName: i.parameterGroupName,
                VpcSecurityGroupIds: undefined,
                DeletionProtection: i.deletionProtection,
                EnablePerformanceInsights: i.performanceInsightsEnabled,
                PubliclyAccessible: i.publiclyAccessible,
                AutoMinorVersionUpgrade: i.autoMinorVersionUpgrade,
                CopyTagsToSnapshot: i.copyTagsToSnapshot,
                Port: i.port,
                CACertificateIdentifier: i.caCertIdentifier,
                Tags: tagList(i.tags),
            }),
        },
        // The final snapshot name is sent at delete (DeleteDBInstance.FinalDBSnapshotIdentifier);
        // its rule is that of a snapshot identifier, checked below in `extraRules`.
    ],
    "aws:rds/parameterGroup:ParameterGroup": (r, i) => [
        {
            service: "rds",
            operation: "CreateDBParameterGroup",
            request: clean({
                DBParameterGroupName: nameOf(r, i),
                DBParameterGroupFamily: i.family,
                Description: i.description,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:rds/subnetGroup:SubnetGroup": (r, i) => [
        {
            service: "rds",
            operation: "CreateDBSubnetGroup",
            request: clean({
                DBSubnetGroupName: nameOf(r, i),
                DBSubnetGroupDescription: i.description,
                SubnetIds: i.subnetIds,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:secretsmanager/secret:Secret": (r, i) => [
        {
            service: "secretsmanager",
            operation: "CreateSecret",
            request: clean({
                Name: nameOf(r, i),
                Description: i.description,
                KmsKeyId: i.kmsKeyId,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:secretsmanager/secretVersion:SecretVersion": (_r, i) => [
        {
            service: "secretsmanager",
            operation: "PutSecretValue",
            request: clean({
                SecretId: i.secretId,
                SecretString: i.secretString,
                VersionStages: i.versionStages,
            }),
        },
    ],
    "aws:sns/topic:Topic": (r, i) => [
        {
            service: "sns",
            operation: "CreateTopic",
            request: clean({ Name: nameOf(r, i), Tags: tagList(i.tags) }),
        },
    ],
    "aws:sns/topicSubscription:TopicSubscription": (_r, i) => [
        {
            service: "sns",
            operation: "Subscribe",
            request: clean({ TopicArn: i.topic, Protocol: i.protocol, Endpoint: i.endpoint }),
        },
    ],
    "aws:iam/role:Role": (r, i) => [
        {
            service: "iam",
            operation: "CreateRole",
            request: clean({
                RoleName: nameOf(r, i),
                AssumeRolePolicyDocument: i.assumeRolePolicy,
                Description: i.description,
                Path: i.path,
                MaxSessionDuration: i.maxSessionDuration,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:iam/rolePolicy:RolePolicy": (r, i) => [
        {
            service: "iam",
            operation: "PutRolePolicy",
            request: clean({ RoleName: i.role, PolicyName: nameOf(r, i), PolicyDocument: i.policy }),
        },
    ],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (_r, i) => [
        {
            service: "iam",
            operation: "AttachRolePolicy",
            request: clean({ RoleName: i.role, PolicyArn: i.policyArn }),
        },
    ],
    "aws:ec2/securityGroup:SecurityGroup": (r, i) => [
        {
            service: "ec2",
            operation: "CreateSecurityGroup",
            request: clean({
                GroupName: nameOf(r, i),
                Description: i.description ?? "Managed by Pulumi",
                VpcId: i.vpcId,
                TagSpecifications: ec2Tags("security-group", i.tags),
            }),
        },
    ],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (_r, i) => [
        {
            service: "ec2",
            operation: "AuthorizeSecurityGroupIngress",
            request: clean({
                GroupId: i.securityGroupId,
                IpPermissions: [ipPermission(i)],
                TagSpecifications: ec2Tags("security-group-rule", i.tags),
            }),
        },
    ],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (_r, i) => [
        {
            service: "ec2",
            operation: "AuthorizeSecurityGroupEgress",
            request: clean({
                GroupId: i.securityGroupId,
                IpPermissions: [ipPermission(i)],
                TagSpecifications: ec2Tags("security-group-rule", i.tags),
            }),
        },
    ],
    "aws:ec2/vpc:Vpc": (_r, i) => [
        {
            service: "ec2",
            operation: "CreateVpc",
            request: clean({ CidrBlock: i.cidrBlock, TagSpecifications: ec2Tags("vpc", i.tags) }),
        },
    ],
    "aws:ec2/subnet:Subnet": (_r, i) => [
        {
            service: "ec2",
            operation: "CreateSubnet",
            request: clean({
                VpcId: i.vpcId,
                CidrBlock: i.cidrBlock,
                AvailabilityZone: i.availabilityZone,
                TagSpecifications: ec2Tags("subnet", i.tags),
            }),
        },
    ],
    "aws:cloudwatch/logGroup:LogGroup": (r, i) => [
        {
            service: "logs",
            operation: "CreateLogGroup",
            request: clean({
                logGroupName: nameOf(r, i),
                kmsKeyId: i.kmsKeyId,
                logGroupClass: i.logGroupClass,
                tags: i.tags,
            }),
        },
        ...(i.retentionInDays === undefined || i.retentionInDays === 0
            ? []
            : [
                  {
                      service: "logs",
                      operation: "PutRetentionPolicy",
                      request: { logGroupName: nameOf(r, i), retentionInDays: i.retentionInDays },
                  },
              ]),
    ],
    "aws:ecr/repository:Repository": (r, i) => [
        {
            service: "ecr",
            operation: "CreateRepository",
            request: clean({
                repositoryName: nameOf(r, i),
                imageTagMutability: i.imageTagMutability,
                imageScanningConfiguration: i.imageScanningConfiguration,
                encryptionConfiguration: i.encryptionConfigurations?.[0],
                tags: tagList(i.tags),
            }),
        },
    ],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (_r, i) => [
        {
            service: "ecr",
            operation: "PutLifecyclePolicy",
            request: clean({ repositoryName: i.repository, lifecyclePolicyText: i.policy }),
        },
    ],
    "aws:ecr/repositoryPolicy:RepositoryPolicy": (_r, i) => [
        {
            service: "ecr",
            operation: "SetRepositoryPolicy",
            request: clean({ repositoryName: i.repository, policyText: i.policy }),
        },
    ],
    "aws:lambda/function:Function": (r, i) => [
        {
            service: "lambda",
            operation: "CreateFunction",
            request: clean({
                FunctionName: nameOf(r, i),
                Role: i.role,
                Runtime: i.runtime,
                Handler: i.handler,
                Code: {},
                Description: i.description,
                Timeout: i.timeout,
                MemorySize: i.memorySize,
                Architectures: i.architectures,
                Environment: i.environment?.variables ? { Variables: i.environment.variables } : undefined,
                VpcConfig:
                    i.vpcConfig &&
                    clean({
                        SubnetIds: i.vpcConfig.subnetIds,
                        SecurityGroupIds: i.vpcConfig.securityGroupIds,
                    }),
                Tags: i.tags,
            }),
        },
    ],
    "aws:lambda/permission:Permission": (_r, i) => [
        {
            service: "lambda",
            operation: "AddPermission",
            request: clean({
                FunctionName: i.function,
                StatementId: i.statementId ?? "AllowExecution",
                Action: i.action,
                Principal: i.principal,
                SourceArn: i.sourceArn,
                SourceAccount: i.sourceAccount,
            }),
        },
    ],
    "aws:s3/bucketV2:BucketV2": (r, i) => [
        {
            service: "s3",
            operation: "CreateBucket",
            request: clean({ Bucket: i.bucket ?? r.state.bucket ?? nameOf(r, i) }),
        },
    ],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (_r, i) => [
        {
            service: "s3",
            operation: "PutPublicAccessBlock",
            request: clean({
                Bucket: i.bucket,
                PublicAccessBlockConfiguration: clean({
                    BlockPublicAcls: i.blockPublicAcls,
                    BlockPublicPolicy: i.blockPublicPolicy,
                    IgnorePublicAcls: i.ignorePublicAcls,
                    RestrictPublicBuckets: i.restrictPublicBuckets,
                }),
            }),
        },
    ],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (_r, i) => [
        {
            service: "s3",
            operation: "PutBucketEncryption",
            request: {
                Bucket: i.bucket,
                ServerSideEncryptionConfiguration: {
                    Rules: (i.rules ?? []).map((x: Inputs) =>
                        clean({
                            ApplyServerSideEncryptionByDefault: x.applyServerSideEncryptionByDefault && {
                                SSEAlgorithm: x.applyServerSideEncryptionByDefault.sseAlgorithm,
                                ...(x.applyServerSideEncryptionByDefault.kmsMasterKeyId
                                    ? { KMSMasterKeyID: x.applyServerSideEncryptionByDefault.kmsMasterKeyId }
                                    : {}),
                            },
                            BucketKeyEnabled: x.bucketKeyEnabled,
                        }),
                    ),
                },
            },
        },
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (_r, i) => [
        {
            service: "s3",
            operation: "PutBucketLifecycleConfiguration",
            request: {
                Bucket: i.bucket,
                LifecycleConfiguration: {
                    Rules: (i.rules ?? []).map((x: Inputs) =>
                        clean({
                            ID: x.id,
                            Status: x.status,
                            Filter: x.filter && clean({ Prefix: x.filter.prefix }),
                            Expiration: x.expiration && clean({ Days: x.expiration.days }),
                            AbortIncompleteMultipartUpload:
                                x.abortIncompleteMultipartUpload &&
                                clean({
                                    DaysAfterInitiation: x.abortIncompleteMultipartUpload.daysAfterInitiation,
                                }),
                        }),
                    ),
                },
            },
        },
    ],
    "aws:s3/bucketPolicy:BucketPolicy": (_r, i) => [
        {
            service: "s3",
            operation: "PutBucketPolicy",
            request: clean({ Bucket: i.bucket, Policy: i.policy }),
        },
    ],
    "aws:s3/bucket:Bucket": (r, i) => [
        {
            service: "s3",
            operation: "CreateBucket",
            request: clean({ Bucket: i.bucket ?? r.state.bucket ?? nameOf(r, i) }),
        },
    ],
};

/** Other rules on values the provider sends later (delete, replace) that the models constrain. */
function extraRules(r: RecordedResource, i: Inputs, out: Violation[]): void {
    if (r.type === "aws:rds/instance:Instance" && i.finalSnapshotIdentifier !== undefined) {
        // DeleteDBInstance.FinalDBSnapshotIdentifier: "1 to 255 letters, numbers, or hyphens;
        // first character a letter; no two consecutive hyphens; not ending with a hyphen" (RDS API
        // reference); the model carries no pattern for it, so the documented rule is encoded.
        const v = String(i.finalSnapshotIdentifier);
        if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}$/.test(v) || v.endsWith("-"))
            out.push({
                field: "FinalDBSnapshotIdentifier",
                value: v,
                rule: "rds DeleteDBInstance: 1-255 letters, digits or hyphens, starting with a letter, no '--', not ending with '-'",
            });
    }
}

/** The API request(s) the provider sends to create a resource; [] for a type the checker does not map. */
export function requestsOf(r: RecordedResource): ApiRequest[] {
    const mapper = MAPPERS[r.type];
    return mapper ? mapper(r, unwrapInputs(r.inputs)) : [];
}

function unwrapInputs(v: unknown): any {
    if (isSecretValue(v)) return unwrapInputs(v.value);
    if (Array.isArray(v)) return v.map(unwrapInputs);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapInputs(x)]));
    return v;
}

/** Every violation of one request: the model's constraints, then the documented cross-field rules. Pure. */
export function checkRequest(req: ApiRequest, rules: AwsRules = awsRules()): Violation[] {
    const out: Violation[] = [];
    const svc = rules.services[req.service];
    const input = svc?.operations[req.operation];
    if (!input)
        return [
            {
                field: "",
                value: req.operation,
                rule: `no recorded model for ${req.service} ${req.operation}`,
            },
        ];
    validateShape(req.service, input, req.request, "", out, rules);
    if (req.operation === "RegisterTaskDefinition") out.push(...fargateSizeViolations(req.request));
    if (req.operation === "PutMetricAlarm") out.push(...metricAlarmViolations(req.request));
    return out;
}

/** Paths inside a request whose values are secret, so a finding never prints them. */
const SECRET_FIELDS = /^(MasterUserPassword|SecretString)$/;

export const awsChecker: Checker = (resources) => {
    const rules = awsRules();
    const findings: Finding[] = [];
    for (const r of resources) {
        if (!r.type.startsWith("aws:")) continue;
        const violations: [string, Violation][] = [];
        for (const req of requestsOf(r))
            for (const v of checkRequest(req, rules)) violations.push([req.operation, v]);
        const extra: Violation[] = [];
        extraRules(r, unwrapInputs(r.inputs), extra);
        for (const v of extra) violations.push(["DeleteDBInstance", v]);
        for (const [operation, v] of violations)
            findings.push({
                cloud: "AWS",
                urn: r.urn,
                type: r.type,
                operation,
                field: v.field,
                value: SECRET_FIELDS.test(v.field) ? "[secret]" : v.value,
                rule: `${v.rule} (botocore ${rules.botocore})`,
            });
    }
    return findings;
};
