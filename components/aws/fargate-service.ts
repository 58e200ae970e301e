/**
 * One service on ECS Fargate with ECS's native blue-green deployments (@pulumi/aws 7.x):
 * `deploymentConfiguration.strategy = "BLUE_GREEN"` with a bake time, the ALB's two target groups
 * and two rules in `loadBalancers[].advancedConfiguration`, the circuit breaker and the 5xx/p95
 * alarms both rolling back. A new image digest is a new task definition revision, which ECS
 * deploys green, tests on the test listener, shifts, bakes, then retires blue.
 *
 * Secrets reach the container only through `secrets[].valueFrom` (JSON keys of the service's
 * Secrets Manager secret); the execution role can read that one secret and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Architecture } from "../config";

export interface FargateServiceArgs {
    /** ECS service name (unique in the cluster; also the container name). */
    serviceName: string;
    /**
     * Task definition family. Families are account-wide, so it carries the stack.
     * @default serviceName
     */
    family?: string;
    clusterArn: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    /** Private subnets for the tasks. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The ALB's security group: the only source allowed to reach the tasks. */
    albSecurityGroupId: pulumi.Input<string>;
    /** Digest-pinned image reference from the image component. */
    imageRef: pulumi.Input<string>;
    /** Platforms the image holds, stamped on the task definition for the policy pack. */
    imagePlatforms: pulumi.Input<string[]>;
    architecture: Architecture;
    vcpu: number;
    memoryMiB: number;
    desiredCount: number;
    containerPort: number;
    /** Plain env (from the contract). */
    environment: Record<string, pulumi.Input<string>>;
    /** `secrets` entries (JSON-key references, never values). */
    secrets: pulumi.Input<{ name: string; valueFrom: string }[]>;
    /** ARN of the one secret the execution role may read. @default undefined (no secrets) */
    secretArn?: pulumi.Input<string>;
    blueTargetGroupArn: pulumi.Input<string>;
    greenTargetGroupArn: pulumi.Input<string>;
    productionRuleArn: pulumi.Input<string>;
    testRuleArn: pulumi.Input<string>;
    /** @default 15 */
    bakeTimeMinutes?: number;
    /** Alarms that roll a deployment back. */
    rollbackAlarmNames: pulumi.Input<pulumi.Input<string>[]>;
    /** @default 30 */
    logRetentionDays?: number;
    /** Seconds ECS ignores failing LB health checks after a task starts. @default 60 */
    healthCheckGracePeriodSeconds?: number;
    /** @default true */
    waitForSteadyState?: boolean;
    /** ECS lifecycle hooks (e.g. the smoke hook at POST_TEST_TRAFFIC_SHIFT). @default [] */
    lifecycleHooks?: pulumi.Input<{ hookTargetArn: string; roleArn: string; lifecycleStages: string[] }>[];
    /** Minutes the lifecycle hooks may take in one deployment (their budget, for the timeouts). @default 0 */
    hookMinutes?: number;
}

/**
 * Minutes a blue-green deployment may take before ECS is done with it: tasks start and pass
 * their health checks (the provider's own default budget, 20 min), the hooks run, traffic
 * shifts, the bake runs to its end. Pure.
 */
export const ECS_START_MINUTES = 20;
export function ecsDeploymentMinutes(a: { bakeTimeMinutes: number; hookMinutes: number }): number {
    return ECS_START_MINUTES + a.hookMinutes + a.bakeTimeMinutes;
}

/**
 * `customTimeouts` of the ECS service. With native blue-green and `waitForSteadyState`, the
 * provider waits through the lifecycle hooks and the whole bake, and fails the update on a
 * rollback (terraform-provider-aws#43434: "Ensures lifecycle hooks complete during creation,
 * validates bake time completion during updates, surfaces deployment failures and rollbacks"),
 * so the default 20-minute create/update timeout would end `pulumi up` mid-bake. Pure.
 */
export function ecsServiceTimeouts(a: { bakeTimeMinutes: number; hookMinutes: number }): {
    create: string;
    update: string;
    delete: string;
} {
    const m = ecsDeploymentMinutes(a);
    return { create: `${m}m`, update: `${m}m`, delete: "20m" };
}

/** ECS `runtimePlatform.cpuArchitecture` for an architecture. Pure. */
export function ecsCpuArchitecture(arch: Architecture): "ARM64" | "X86_64" {
    return arch === "arm64" ? "ARM64" : "X86_64";
}

/**
 * The image's platforms as one ECS tag value: space-separated, `linux/amd64 linux/arm64`. ECS tag
 * values allow only `[\p{L}\p{Z}\p{N}_.:/=+\-@]*` (botocore ecs TagValue), so no comma; the
 * policy pack's `stampedPlatforms` reads this encoding. Pure.
 */
export function platformsTagValue(platforms: readonly string[]): string {
    return [...platforms].sort().join(" ");
}

/** Fargate `cpu` units for vCPUs. Pure. */
export function fargateCpuUnits(vcpu: number): string {
    return String(Math.round(vcpu * 1024));
}

/** ECS `environment` entries, sorted so the task definition does not churn. Pure. */
export function ecsEnvironment(env: Record<string, string>): { name: string; value: string }[] {
    return Object.keys(env)
        .sort()
        .map((name) => ({ name, value: env[name] }));
}

/** IAM trust policy for an ECS principal. Pure. */
export function assumeRole(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

export class FargateService extends pulumi.ComponentResource {
    public readonly service: aws.ecs.Service;
    public readonly taskDefinition: aws.ecs.TaskDefinition;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly executionRole: aws.iam.Role;
    public readonly taskRole: aws.iam.Role;
    public readonly logGroup: aws.cloudwatch.LogGroup;

    constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:FargateService", name, {}, opts);
        const region = aws.getRegionOutput({}, { parent: this }).region;

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-tasks`,
            {
                vpcId: args.vpcId,
                description: `Tasks of ${args.serviceName}: ${args.containerPort} from the ALB only`,
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-tasks-from-alb`,
            {
                securityGroupId: this.securityGroup.id,
                referencedSecurityGroupId: args.albSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: args.containerPort,
                toPort: args.containerPort,
                description: "from the ALB",
            },
            { parent: this },
        );
        // Tasks reach ECR, Secrets Manager, CloudWatch Logs and the database through the VPC.
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-tasks-out`,
            {
                securityGroupId: this.securityGroup.id,
                ipProtocol: "-1",
                cidrIpv4: "0.0.0.0/0",
                description: "outbound",
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-to-tasks`,
            {
                securityGroupId: args.albSecurityGroupId,
                referencedSecurityGroupId: this.securityGroup.id,
                ipProtocol: "tcp",
                fromPort: args.containerPort,
                toPort: args.containerPort,
                description: `to ${args.serviceName} tasks`,
            },
            { parent: this },
        );

        this.logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { retentionInDays: args.logRetentionDays ?? 30 },
            { parent: this },
        );

        this.executionRole = new aws.iam.Role(
            `${name}-execution`,
            { assumeRolePolicy: assumeRole("ecs-tasks.amazonaws.com") },
            { parent: this },
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-execution`,
            {
                role: this.executionRole.name,
                policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            },
            { parent: this },
        );
        if (args.secretArn) {
            new aws.iam.RolePolicy(
                `${name}-execution-secrets`,
                {
                    role: this.executionRole.id,
                    policy: pulumi.output(args.secretArn).apply((arn) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [
                                {
                                    Effect: "Allow",
                                    Action: ["secretsmanager:GetSecretValue"],
                                    Resource: [arn],
                                },
                            ],
                        }),
                    ),
                },
                { parent: this },
            );
        }
        this.taskRole = new aws.iam.Role(
            `${name}-task`,
            { assumeRolePolicy: assumeRole("ecs-tasks.amazonaws.com") },
            { parent: this },
        );

        const containerDefinitions = pulumi.jsonStringify([
            {
                name: args.serviceName,
                image: args.imageRef,
                essential: true,
                portMappings: [{ containerPort: args.containerPort, protocol: "tcp" }],
                environment: pulumi
                    .output(args.environment)
                    .apply((e) => ecsEnvironment(e as Record<string, string>)),
                secrets: args.secrets,
                logConfiguration: {
                    logDriver: "awslogs",
                    options: {
                        "awslogs-group": this.logGroup.name,
                        "awslogs-region": region,
                        "awslogs-stream-prefix": args.serviceName,
                    },
                },
                readonlyRootFilesystem: false,
                stopTimeout: 30,
            },
        ]);
        this.taskDefinition = new aws.ecs.TaskDefinition(
            `${name}-task`,
            {
                family: args.family ?? args.serviceName,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: fargateCpuUnits(args.vcpu),
                memory: String(args.memoryMiB),
                runtimePlatform: {
                    cpuArchitecture: ecsCpuArchitecture(args.architecture),
                    operatingSystemFamily: "LINUX",
                },
                executionRoleArn: this.executionRole.arn,
                taskRoleArn: this.taskRole.arn,
                containerDefinitions,
                // Stamps for the policy pack (image-platform-matches-target): what the image holds,
                // known at preview even when the digest is not.
                tags: {
                    "service-deploy:service": args.serviceName,
                    "service-deploy:image-platforms": pulumi
                        .output(args.imagePlatforms)
                        .apply(platformsTagValue),
                },
            },
            { parent: this },
        );

        // ECS shifts the ALB rules with this role during blue-green deployments.
        const infraRole = new aws.iam.Role(
            `${name}-lb-infra`,
            { assumeRolePolicy: assumeRole("ecs.amazonaws.com") },
            { parent: this },
        );
        const infraPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-lb-infra`,
            {
                role: infraRole.name,
                policyArn: "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
            },
            { parent: this },
        );

        this.service = new aws.ecs.Service(
            `${name}-service`,
            {
                name: args.serviceName,
                cluster: args.clusterArn,
                taskDefinition: this.taskDefinition.arn,
                desiredCount: args.desiredCount,
                launchType: "FARGATE",
                platformVersion: "LATEST",
                networkConfiguration: {
                    subnets: args.subnetIds,
                    securityGroups: [this.securityGroup.id],
                    assignPublicIp: false,
                },
                healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds ?? 60,
                deploymentController: { type: "ECS" },
                deploymentConfiguration: {
                    strategy: "BLUE_GREEN",
                    bakeTimeInMinutes: String(args.bakeTimeMinutes ?? 15),
                    lifecycleHooks: args.lifecycleHooks ?? [],
                },
                deploymentCircuitBreaker: { enable: true, rollback: true },
                alarms: { alarmNames: args.rollbackAlarmNames, enable: true, rollback: true },
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                loadBalancers: [
                    {
                        targetGroupArn: args.blueTargetGroupArn,
                        containerName: args.serviceName,
                        containerPort: args.containerPort,
                        advancedConfiguration: {
                            alternateTargetGroupArn: args.greenTargetGroupArn,
                            productionListenerRule: args.productionRuleArn,
                            testListenerRule: args.testRuleArn,
                            roleArn: infraRole.arn,
                        },
                    },
                ],
                propagateTags: "SERVICE",
                enableEcsManagedTags: true,
                waitForSteadyState: args.waitForSteadyState ?? true,
            },
            {
                parent: this,
                dependsOn: [infraPolicy],
                customTimeouts: ecsServiceTimeouts({
                    bakeTimeMinutes: args.bakeTimeMinutes ?? 15,
                    hookMinutes: args.hookMinutes ?? 0,
                }),
            },
        );
        this.registerOutputs({ serviceName: this.service.name });
    }
}
