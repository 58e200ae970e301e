/**
 * Requests of the compute and traffic resources: ECS (RegisterTaskDefinition, CreateService,
 * CreateCluster), ELB (CreateLoadBalancer + ModifyLoadBalancerAttributes, CreateTargetGroup,
 * CreateListener, CreateRule), CloudWatch (PutMetricAlarm) and Lambda (CreateFunction,
 * AddPermission), as terraform-provider-aws's create calls send them.
 */
import type { RecordedResource } from "../offline";
import {
    type ApiRequest,
    type Inputs,
    tagList,
    num,
    clean,
    json,
    nameOf,
    elbAction,
    elbCondition,
} from "./aws-requests";

type Mapper = (r: RecordedResource, i: Inputs) => ApiRequest[];

export const COMPUTE_MAPPERS: Record<string, Mapper> = {
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
};
