/**
 * Everything the stack puts on AWS, wired: network, alarm topic, ECS cluster, the database and
 * its alarms, and per service an ALB with blue/green target groups, a Secrets Manager secret,
 * alarms and the Fargate service.
 */
import * as pulumi from "@pulumi/pulumi";
import { ecsDeployed, type Deployed } from "../evidence";
import * as aws from "@pulumi/aws";
import { PROJECT, type StackConfig, type NormalizedService } from "../config";
import { resolveEnv } from "../contract";
import type { ServiceImage } from "../image";
import { Network } from "./network";
import { AlarmTopic } from "./alarm-topic";
import { DEFAULT_RUNBOOK, resolveDestinations } from "../notifications";
import { Postgres } from "./postgres";
import { DatabaseAlarms } from "./database-alarms";
import { AlbBlueGreen } from "./alb-blue-green";
import { ServiceSecrets, recoveryWindowDays } from "./secrets";
import { ServiceAlarms } from "./alarms";
import { FargateService } from "./fargate-service";
import { AccessLogBucket } from "./access-logs";
import { SmokeHook } from "./smoke-hook";
import { CertificateCheck } from "./certificate";

export interface AwsTargetArgs {
    config: StackConfig;
    /** The services this target runs. */
    services: NormalizedService[];
    /** Image component of each service, by service name. */
    images: Record<string, ServiceImage>;
    /** Declared secrets, by name (Pulumi secrets). */
    secrets: Record<string, pulumi.Output<string>>;
    /** Stack name, for resource names that must be unique per account (alarms, snapshots). */
    stack: string;
}

export interface AwsServiceOutputs {
    url: pulumi.Output<string>;
    testUrl: pulumi.Output<string>;
    image: pulumi.Output<string>;
    clusterName: pulumi.Output<string>;
    serviceName: pulumi.Output<string>;
    /** Health evidence for promotion (components/evidence.ts). */
    deployed: pulumi.Output<Deployed>;
}

export class AwsTarget extends pulumi.ComponentResource {
    public readonly services: Record<string, AwsServiceOutputs> = {};
    public readonly databaseEndpoint?: pulumi.Output<string>;
    public readonly alarmTopicArn: pulumi.Output<string>;
    public readonly cluster: aws.ecs.Cluster;

    constructor(name: string, args: AwsTargetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:AwsTarget", name, {}, opts);
        const cfg = args.config;
        const aws_ = cfg.aws!;
        const bg = cfg.blueGreen!;
        const prefix = `${PROJECT}-${args.stack}`;

        // The certificate is read and judged before the network and the database are registered.
        const certificate = new CertificateCheck(
            `${name}-certificate`,
            { certificateArn: aws_.certificateArn },
            { parent: this },
        );

        const network = new Network(
            `${name}-net`,
            cfg.network.mode === "existing"
                ? {
                      existing: {
                          vpcId: cfg.network.vpcId,
                          publicSubnetIds: cfg.network.publicSubnetIds,
                          privateSubnetIds: cfg.network.privateSubnetIds,
                      },
                  }
                : {
                      cidrBlock: cfg.network.cidrBlock,
                      natGateways: cfg.network.natGateways ?? (cfg.production ? 2 : 1),
                  },
            { parent: this, dependsOn: certificate.ready },
        );

        const topic = new AlarmTopic(
            `${name}-topic`,
            {
                destinations: resolveDestinations(cfg, args.secrets),
                forwarder: {
                    functionName: `${prefix}-notify`.slice(0, 64),
                    context: {
                        prefix,
                        environment: cfg.environment,
                        target: "aws",
                        services: args.services.map((s) => s.name),
                        runbookUrl: cfg.notifications.runbookUrl ?? DEFAULT_RUNBOOK,
                    },
                    recoveryWindowDays: recoveryWindowDays(cfg.production),
                    logRetentionDays: cfg.logRetentionDays,
                },
            },
            { parent: this },
        );
        this.alarmTopicArn = topic.arn;

        this.cluster = new aws.ecs.Cluster(
            `${name}-cluster`,
            {
                settings: [{ name: "containerInsights", value: "enabled" }],
            },
            { parent: this },
        );

        let db: Postgres | undefined;
        if (cfg.database) {
            db = new Postgres(
                `${name}-pg`,
                {
                    ...cfg.database,
                    vpcId: network.vpcId,
                    subnetIds: network.privateSubnetIds,
                    finalSnapshotPrefix: prefix,
                    protect: cfg.production,
                },
                { parent: this, dependsOn: certificate.ready },
            );
            new DatabaseAlarms(
                `${name}-pg-alarms`,
                {
                    alarmPrefix: prefix,
                    topicArn: topic.arn,
                    dbInstanceIdentifier: db.instance.identifier,
                    instanceClass: cfg.database.instanceClass,
                    allocatedStorageGiB: cfg.database.allocatedStorageGiB,
                    cpuPercent: cfg.alarms.databaseCpuPercent,
                    freeStoragePercent: cfg.alarms.databaseFreeStoragePercent,
                    connectionsPercent: cfg.alarms.databaseConnectionsPercent,
                },
                { parent: this },
            );
            this.databaseEndpoint = db.endpoint;
        }

        // Production's load balancers log every request (who, what, status, timing) to S3.
        const accessLogs = cfg.production
            ? new AccessLogBucket(
                  `${name}-alb-logs`,
                  {
                      region: aws.getRegionOutput({}, { parent: this }).region,
                      accountId: aws.getCallerIdentityOutput({}, { parent: this }).accountId,
                  },
                  { parent: this },
              )
            : undefined;

        for (const svc of args.services) {
            const n = `${name}-${svc.name}`;
            const image = args.images[svc.name];
            const alb = new AlbBlueGreen(
                n,
                {
                    serviceName: svc.name,
                    vpcId: network.vpcId,
                    subnetIds: network.publicSubnetIds,
                    certificateArn: aws_.certificateArn,
                    sslPolicy: aws_.sslPolicy,
                    testListenerPort: bg.testListenerPort,
                    testCidr: bg.testCidr,
                    targetPort: svc.port,
                    healthPath: svc.health.readiness,
                    healthIntervalSeconds: svc.health.intervalSeconds,
                    healthTimeoutSeconds: svc.health.timeoutSeconds,
                    healthyThreshold: svc.health.healthyThreshold,
                    unhealthyThreshold: svc.health.unhealthyThreshold,
                    deletionProtection: cfg.production,
                    accessLogs: accessLogs && {
                        bucket: accessLogs.bucket.id,
                        prefix: `${accessLogs.prefix}`,
                        dependsOn: [accessLogs.policy],
                    },
                },
                { parent: this },
            );

            const env = resolveEnv(svc.env, {
                database: db?.connection,
                servicePort: svc.port,
                environment: cfg.environment,
                secrets: args.secrets,
            });
            const hasSecrets = Object.keys(env.secret).length > 0;
            const secrets = hasSecrets
                ? new ServiceSecrets(
                      n,
                      {
                          values: env.secret,
                          recoveryWindowDays: recoveryWindowDays(cfg.production),
                          description: `env secrets of ${svc.name} (${args.stack})`,
                      },
                      { parent: this },
                  )
                : undefined;

            // Green is tested on the test listener before production traffic moves.
            const hook = new SmokeHook(
                `${n}-smoke`,
                {
                    serviceName: svc.name,
                    vpcId: network.vpcId,
                    subnetIds: network.privateSubnetIds,
                    testUrl: alb.testUrl,
                    testListenerPort: bg.testListenerPort,
                    readinessPath: svc.health.readiness,
                    healthPath: svc.health.health,
                    checks: svc.smoke.checks,
                    timeoutSeconds: svc.smoke.timeoutSeconds,
                },
                { parent: this },
            );
            // The hook reaches the internet-facing ALB through the NAT gateways.
            network.natPublicIps.forEach((ip, i) => {
                new aws.vpc.SecurityGroupIngressRule(
                    `${n}-test-from-nat-${i}`,
                    {
                        securityGroupId: alb.securityGroup.id,
                        cidrIpv4: pulumi.interpolate`${ip}/32`,
                        ipProtocol: "tcp",
                        fromPort: bg.testListenerPort,
                        toPort: bg.testListenerPort,
                        description: "test listener: the smoke hook, through NAT",
                    },
                    { parent: this },
                );
            });

            const alarms = new ServiceAlarms(
                `${n}-alarms`,
                {
                    alarmPrefix: `${prefix}-${svc.name}`,
                    topicArn: topic.arn,
                    loadBalancerArnSuffix: alb.loadBalancer.arnSuffix,
                    targetGroupArnSuffixes: [alb.blue.arnSuffix, alb.green.arnSuffix],
                    clusterName: this.cluster.name,
                    serviceName: svc.name,
                    thresholds: { ...cfg.alarms, ...bg },
                },
                { parent: this },
            );

            const fargate = new FargateService(
                n,
                {
                    serviceName: svc.name,
                    family: `${prefix}-${svc.name}`,
                    clusterArn: this.cluster.arn,
                    vpcId: network.vpcId,
                    subnetIds: network.privateSubnetIds,
                    albSecurityGroupId: alb.securityGroup.id,
                    imageRef: image.ref,
                    imagePlatforms: image.platforms,
                    architecture: svc.architecture,
                    vcpu: svc.vcpu,
                    memoryMiB: svc.memoryMiB,
                    desiredCount: svc.desiredCount,
                    containerPort: svc.port,
                    environment: env.plain,
                    secrets: secrets ? secrets.ecsSecrets : [],
                    secretArn: secrets?.arn,
                    blueTargetGroupArn: alb.blue.arn,
                    greenTargetGroupArn: alb.green.arn,
                    productionRuleArn: alb.productionRule.arn,
                    testRuleArn: alb.testRule.arn,
                    bakeTimeMinutes: bg.bakeTimeMinutes,
                    lifecycleHooks: [hook.lifecycleHook],
                    hookMinutes: hook.minutes,
                    rollbackAlarmNames: alarms.rollbackAlarmNames,
                    logRetentionDays: cfg.logRetentionDays,
                    waitForSteadyState: aws_.waitForSteadyState,
                },
                { parent: this },
            );
            if (db && Object.values(svc.env).some((e) => "from" in e && e.from.startsWith("database."))) {
                db.allowFrom(svc.name, fargate.securityGroup.id);
            }

            this.services[svc.name] = {
                url: alb.url,
                testUrl: alb.testUrl,
                image: image.ref,
                clusterName: this.cluster.name,
                serviceName: fargate.service.name,
                // Digests, ARNs and a sentence: nothing secret, so promotion can read it.
                deployed: pulumi.unsecret(
                    pulumi
                        .all([
                            fargate.service.taskDefinition,
                            fargate.taskDefinition.arn,
                            fargate.taskDefinition.containerDefinitions,
                        ])
                        .apply(([running, registered, defs]) =>
                            ecsDeployed({
                                waitForSteadyState: aws_.waitForSteadyState,
                                serviceTaskDefinition: running ?? "",
                                registeredTaskDefinition: registered,
                                containerDefinitions: defs,
                                container: svc.name,
                            }),
                        ),
                ),
            };
        }
        this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, databaseEndpoint: this.databaseEndpoint });
    }
}
