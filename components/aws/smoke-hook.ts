/**
 * The ECS lifecycle hook that tests green before production traffic moves: a Lambda function
 * (lambda/smoke-hook/index.ts, bundled by the program) that ECS invokes at
 * POST_TEST_TRAFFIC_SHIFT to run the service's smoke checks against the test listener.
 *
 * Reachability: the function runs in the private subnets with its own security group (egress
 * to the test port only, plus DNS). It reaches the internet-facing ALB by its public DNS name,
 * so its requests leave through the NAT gateways and arrive from their public IPs: the test
 * listener admits the NAT gateways' addresses (a created network adds them; an existing network
 * must have them inside `blueGreen.testCidr`).
 *
 * IAM: ECS calls the function through a role that trusts `ecs.amazonaws.com` and may only
 * `lambda:InvokeFunction` this function; the function's own role has only the VPC-access
 * managed policy (ENIs and its log stream).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { bundleArchive } from "./bundle";
import type { SmokeCheck } from "../smoke";

export interface SmokeHookArgs {
    /** Service under test, for names and descriptions. */
    serviceName: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets with a route to the NAT gateways. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The test listener's URL, e.g. `https://<alb dns>:8443`. */
    testUrl: pulumi.Input<string>;
    testListenerPort: number;
    readinessPath: string;
    healthPath: string;
    /** Extra checks from `services[].smoke.checks`. @default [] */
    checks?: SmokeCheck[];
    /** Per-request timeout. @default 5 */
    timeoutSeconds?: number;
    /** How long the hook keeps answering IN_PROGRESS for a release that does not answer yet. @default 300 */
    maxWaitSeconds?: number;
}

/** The hook role's trust and permission documents. Pure. */
export function hookRolePolicies(functionArn: string): { trust: string; invoke: string } {
    return {
        trust: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                { Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
        }),
        invoke: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: "lambda:InvokeFunction",
                    Resource: [functionArn, `${functionArn}:*`],
                },
            ],
        }),
    };
}

/** Minutes the hook may hold a deployment (its wait budget plus one invocation). Pure. */
export function hookMinutes(maxWaitSeconds: number, timeoutSeconds: number): number {
    return Math.ceil((maxWaitSeconds + 60 + timeoutSeconds * 4) / 60);
}

export class SmokeHook extends pulumi.ComponentResource {
    public readonly function: aws.lambda.Function;
    public readonly role: aws.iam.Role;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    /** The `lifecycleHooks` entry for the ECS service. */
    public readonly lifecycleHook: pulumi.Output<{
        hookTargetArn: string;
        roleArn: string;
        lifecycleStages: string[];
    }>;
    /** Minutes this hook may add to a deployment. */
    public readonly minutes: number;

    constructor(name: string, args: SmokeHookArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:SmokeHook", name, {}, opts);
        const maxWait = args.maxWaitSeconds ?? 300;
        const timeout = args.timeoutSeconds ?? 5;
        this.minutes = hookMinutes(maxWait, timeout);

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-fn`,
            {
                vpcId: args.vpcId,
                description: `Smoke hook of ${args.serviceName}: out to the test listener only`,
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-fn-to-test`,
            {
                securityGroupId: this.securityGroup.id,
                ipProtocol: "tcp",
                fromPort: args.testListenerPort,
                toPort: args.testListenerPort,
                cidrIpv4: "0.0.0.0/0",
                description: "the ALB's test listener, by its public address (through NAT)",
            },
            { parent: this },
        );

        const fnRole = new aws.iam.Role(
            `${name}-fn`,
            {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "lambda.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            },
            { parent: this },
        );
        const vpcAccess = new aws.iam.RolePolicyAttachment(
            `${name}-fn-vpc`,
            {
                role: fnRole.name,
                policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            },
            { parent: this },
        );

        this.function = new aws.lambda.Function(
            `${name}-fn`,
            {
                description: `Smoke checks of ${args.serviceName} on the test listener before production traffic moves`,
                runtime: "nodejs20.x",
                architectures: ["arm64"],
                handler: "index.handler",
                code: bundleArchive({ entry: "lambda/smoke-hook/index.ts" }),
                role: fnRole.arn,
                timeout: 60,
                memorySize: 128,
                vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [this.securityGroup.id] },
                environment: {
                    variables: {
                        SMOKE_BASE_URL: args.testUrl,
                        SMOKE_READINESS_PATH: args.readinessPath,
                        SMOKE_HEALTH_PATH: args.healthPath,
                        SMOKE_CHECKS: JSON.stringify(args.checks ?? []),
                        SMOKE_TIMEOUT_SECONDS: String(timeout),
                        SMOKE_MAX_WAIT_SECONDS: String(maxWait),
                    },
                },
            },
            { parent: this, dependsOn: [vpcAccess] },
        );

        this.role = new aws.iam.Role(
            `${name}-invoke`,
            { assumeRolePolicy: hookRolePolicies("").trust },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-invoke`,
            {
                role: this.role.id,
                policy: this.function.arn.apply((arn) => hookRolePolicies(arn).invoke),
            },
            { parent: this },
        );
        this.lifecycleHook = pulumi
            .all([this.function.arn, this.role.arn])
            .apply(([hookTargetArn, roleArn]) => ({
                hookTargetArn,
                roleArn,
                lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
            }));
        this.registerOutputs({ functionArn: this.function.arn });
    }
}
