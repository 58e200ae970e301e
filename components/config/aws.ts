/** `aws`, `blueGreen` and `network`: the sections only the AWS target reads. */
import { z } from "zod";
import { cite } from "../failures";
import { percent, strict } from "./common";

export const blueGreenSchema = strict({
    /** Minutes ECS keeps blue after the switch, ready for rollback. @default 15 */
    bakeTimeMinutes: z.number().int().min(0).max(1440).default(15),
    /** Port of the test listener that serves the green revision before the switch. @default 8443 */
    testListenerPort: z.number().int().min(1).max(65535).default(8443),
    /** CIDR allowed on the test listener (your office or CI egress). */
    testCidr: z.cidrv4({
        error: cite(
            "SD-023",
            "must be the CIDR of your office or CI range, e.g. 203.0.113.0/24: only it reaches the unreleased revision on the test listener",
        ),
    }),
    /** Roll back automatically when 5xx exceed this share... @default 10 */
    rollbackErrorRatePercent: percent.default(10),
    /** ...in M of this many minutes (M = 60%, below N; at least 2). @default 5 */
    rollbackErrorRateMinutes: z.number().int().min(2).max(60).default(5),
    /** Roll back automatically when p95 latency exceeds this... @default 1000 */
    rollbackP95LatencyMs: z.number().int().min(1).default(1000),
    /** ...in M of this many minutes (M = 60%, below N; at least 2). @default 10 */
    rollbackP95LatencyMinutes: z.number().int().min(2).max(60).default(10),
});

export const networkSchema = z.discriminatedUnion(
    "mode",
    [
        strict({
            mode: z.literal("create"),
            /** @default "10.0.0.0/16" */
            cidrBlock: z.cidrv4().default("10.0.0.0/16"),
            /** NAT gateways: 1 is cheaper, one per AZ survives an AZ outage. @default 1 in staging, 2 in production */
            natGateways: z.number().int().min(1).max(2).optional(),
        }),
        strict({
            mode: z.literal("existing"),
            vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "must be a VPC id such as vpc-0abc123"),
            /** At least two, in different AZs, for the load balancer. */
            publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be subnet ids")).min(2),
            /** At least two, in different AZs, for tasks and the database. */
            privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be subnet ids")).min(2),
        }),
    ],
    {
        error: () =>
            'must be { mode: "create", cidrBlock? } or { mode: "existing", vpcId, publicSubnetIds, privateSubnetIds }',
    },
);

export const awsSchema = strict({
    /** ACM certificate for the HTTPS listeners (in the stack's region). */
    certificateArn: z
        .string()
        .regex(
            /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
            "must be an ACM certificate ARN",
        ),
    /** @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
    sslPolicy: z
        .string()
        .regex(
            /^ELBSecurityPolicy-TLS13-1-[23]-/,
            "must be a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06",
        )
        .default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
    /** Days CloudWatch keeps container logs. @default 30 in staging, 365 in production */
    logRetentionDays: z
        .union(
            [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653].map((n) =>
                z.literal(n),
            ) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>],
        )
        .optional(),
    /** Wait for the ECS deployment to reach a steady state during `pulumi up`. @default true */
    waitForSteadyState: z.boolean().default(true),
});
