/**
 * The load balancer side of ECS native blue-green: an ALB with an HTTPS production listener and
 * an HTTPS test listener, two `ip` target groups (blue and green) health-checked on the readiness
 * path, a production rule and a test rule. HTTP only redirects to HTTPS.
 *
 * ECS owns the rules' forward weights once the service exists: on every deployment it shifts the
 * production rule from one target group to the other, and points the test rule at the new one
 * (the "switch the ALB listener" step a person would otherwise do by hand). Pulumi must not fight that,
 * so both rules carry `ignoreChanges: ["actions"]`:
 * - Declaring the weights and ignoring only `actions[*].forward.targetGroups[*].weight` is not
 *   enough: pulumi-aws#5771 (wildcard paths into these lists did not suppress the diff) and
 *   pulumi-aws#5772 / terraform-provider-aws#43905 (a rule or listener whose weights ECS or a
 *   person moved gets them reset, or a new target group added with the wrong weight, on the
 *   next `up`).
 * - Ignoring the whole `actions` list is safe because nothing else in it ever changes: it always
 *   forwards to the same two target groups, whose identity does not depend on anything that
 *   changes between deploys (port, protocol, VPC). A change that replaced a target group would
 *   fail loudly (ELB refuses to delete a target group a rule uses) instead of silently leaving
 *   traffic on a stale one.
 * test/aws-stack.test.ts asserts both rules carry the option.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface AlbBlueGreenArgs {
    /** The service behind it, stamped on the target groups for the policy pack. */
    serviceName: string;
    vpcId: pulumi.Input<string>;
    /** Public subnets, in at least two AZs. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** ACM certificate ARN for both HTTPS listeners. */
    certificateArn: pulumi.Input<string>;
    /** TLS policy. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
    sslPolicy?: string;
    /** Port of the test listener. @default 8443 */
    testListenerPort?: number;
    /** The only CIDR allowed on the test listener. */
    testCidr: string;
    /** Port the container listens on (the target groups' port). */
    targetPort: number;
    /** Readiness path the target groups check. */
    healthPath: string;
    /** @default 15 */
    healthIntervalSeconds?: number;
    /** @default 5 */
    healthTimeoutSeconds?: number;
    /** @default 3 */
    healthyThreshold?: number;
    /** @default 3 */
    unhealthyThreshold?: number;
    /** Seconds a target drains before it is removed. @default 30 */
    deregistrationDelaySeconds?: number;
    /** ALB deletion protection (on in production). @default false */
    deletionProtection?: boolean;
    /** Access logs to this bucket and prefix (the bucket's policy must exist first). @default none */
    accessLogs?: { bucket: pulumi.Input<string>; prefix: string; dependsOn: pulumi.Resource[] };
}

export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * The forward action both rules start with: all traffic to blue. ECS rewrites it during
 * deployments (see the file comment). Pure.
 */
export function initialForward(
    blueArn: pulumi.Input<string>,
    greenArn: pulumi.Input<string>,
): aws.types.input.lb.ListenerRuleAction[] {
    return [
        {
            type: "forward",
            forward: {
                targetGroups: [
                    { arn: blueArn, weight: 100 },
                    { arn: greenArn, weight: 0 },
                ],
            },
        },
    ];
}

/** The resource option that hands the rules' actions to ECS. Exported so the test asserts the same value. */
export const ECS_OWNS_RULE_ACTIONS = ["actions"];

export class AlbBlueGreen extends pulumi.ComponentResource {
    public readonly loadBalancer: aws.lb.LoadBalancer;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly blue: aws.lb.TargetGroup;
    public readonly green: aws.lb.TargetGroup;
    public readonly httpsListener: aws.lb.Listener;
    public readonly testListener: aws.lb.Listener;
    public readonly productionRule: aws.lb.ListenerRule;
    public readonly testRule: aws.lb.ListenerRule;
    public readonly url: pulumi.Output<string>;
    public readonly testUrl: pulumi.Output<string>;

    constructor(name: string, args: AlbBlueGreenArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:AlbBlueGreen", name, {}, opts);
        const testPort = args.testListenerPort ?? 8443;
        const sslPolicy = args.sslPolicy ?? DEFAULT_SSL_POLICY;

        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-alb`,
            {
                vpcId: args.vpcId,
                description: `ALB of ${name}: 80/443 from anywhere, ${testPort} from ${args.testCidr}`,
            },
            { parent: this },
        );
        const ingress = (role: string, port: number, cidr: { cidrIpv4: string }, description: string) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-alb-${role}`,
                {
                    securityGroupId: this.securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    description,
                    ...cidr,
                },
                { parent: this },
            );
        ingress("http", 80, { cidrIpv4: "0.0.0.0/0" }, "HTTP (redirects to HTTPS)");
        ingress("https", 443, { cidrIpv4: "0.0.0.0/0" }, "HTTPS");
        ingress(
            "test",
            testPort,
            { cidrIpv4: args.testCidr },
            "test listener: the new revision before the switch",
        );

        this.loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                // IPv4 only: dualstack needs IPv6 CIDRs on the VPC and every subnet, which neither a
                // created VPC nor most existing ones have.
                ipAddressType: "ipv4",
                securityGroups: [this.securityGroup.id],
                subnets: args.subnetIds,
                dropInvalidHeaderFields: true,
                enableDeletionProtection: args.deletionProtection ?? false,
                idleTimeout: 60,
                accessLogs: args.accessLogs
                    ? { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true }
                    : undefined,
            },
            { parent: this, dependsOn: args.accessLogs?.dependsOn ?? [] },
        );

        const targetGroup = (color: "blue" | "green") =>
            new aws.lb.TargetGroup(
                `${name}-${color}`,
                {
                    targetType: "ip",
                    port: args.targetPort,
                    protocol: "HTTP",
                    vpcId: args.vpcId,
                    deregistrationDelay: args.deregistrationDelaySeconds ?? 30,
                    healthCheck: {
                        enabled: true,
                        path: args.healthPath,
                        protocol: "HTTP",
                        matcher: "200",
                        interval: args.healthIntervalSeconds ?? 15,
                        timeout: args.healthTimeoutSeconds ?? 5,
                        healthyThreshold: args.healthyThreshold ?? 3,
                        unhealthyThreshold: args.unhealthyThreshold ?? 3,
                    },
                    tags: { color, "service-deploy:service": args.serviceName },
                },
                { parent: this },
            );
        this.blue = targetGroup("blue");
        this.green = targetGroup("green");

        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: this.loadBalancer.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [
                    {
                        type: "redirect",
                        redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
                    },
                ],
            },
            { parent: this },
        );
        const notFound: aws.types.input.lb.ListenerDefaultAction[] = [
            {
                type: "fixed-response",
                fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "not found" },
            },
        ];
        this.httpsListener = new aws.lb.Listener(
            `${name}-https`,
            {
                loadBalancerArn: this.loadBalancer.arn,
                port: 443,
                protocol: "HTTPS",
                sslPolicy,
                certificateArn: args.certificateArn,
                defaultActions: notFound,
            },
            { parent: this },
        );
        this.testListener = new aws.lb.Listener(
            `${name}-test`,
            {
                loadBalancerArn: this.loadBalancer.arn,
                port: testPort,
                protocol: "HTTPS",
                sslPolicy,
                certificateArn: args.certificateArn,
                defaultActions: notFound,
            },
            { parent: this },
        );

        const rule = (role: string, listener: aws.lb.Listener) =>
            new aws.lb.ListenerRule(
                `${name}-${role}`,
                {
                    listenerArn: listener.arn,
                    priority: 1,
                    conditions: [{ pathPattern: { values: ["/*"] } }],
                    actions: initialForward(this.blue.arn, this.green.arn),
                },
                { parent: this, ignoreChanges: ECS_OWNS_RULE_ACTIONS },
            );
        this.productionRule = rule("production", this.httpsListener);
        this.testRule = rule("test-rule", this.testListener);

        this.url = pulumi.interpolate`https://${this.loadBalancer.dnsName}`;
        this.testUrl = pulumi.interpolate`https://${this.loadBalancer.dnsName}:${testPort}`;
        this.registerOutputs({ url: this.url, testUrl: this.testUrl });
    }
}
