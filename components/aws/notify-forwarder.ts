/**
 * How an alarm on an SNS topic reaches Slack, PagerDuty and a generic webhook: a small Lambda
 * (lambda/notify/index.ts) subscribed to the topic with protocol "lambda", which turns the
 * CloudWatch alarm into a Slack message, a PagerDuty Events API v2 event or the documented
 * webhook payload, and posts it with the URL or key it reads from Secrets Manager.
 *
 * Why a forwarder and not the alternatives:
 * - An SNS `https` subscription first posts a SubscriptionConfirmation that a Slack or PagerDuty
 *   endpoint never confirms, so it stays pending (and Pulumi cannot delete a pending
 *   subscription); even confirmed, SNS's JSON envelope is not a Slack message (`no_text`).
 * - AWS Chatbot needs the Slack workspace authorised once by hand in the console and posts its own
 *   fixed format: no runbook link, nothing about what the system already did. PagerDuty's
 *   CloudWatch integration endpoint has the same limit.
 * - The forwarder is the same code for every destination type, a `lambda` subscription is
 *   confirmed by SNS itself, and it runs locally against a receiver in the tests.
 *
 * Least privilege: the function's role may read exactly these secrets and write its own log
 * group, nothing else. The environment holds the secrets' ARNs, never their values.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { bundleArchive } from "./bundle";
import type { ResolvedDestination } from "../notifications";

export interface NotifyForwarderArgs {
    /** The topic whose alarms are forwarded. */
    topicArn: pulumi.Input<string>;
    /** Slack, PagerDuty and webhook destinations (e-mail is an SNS subscription, not forwarded). */
    destinations: Exclude<ResolvedDestination, { type: "email" }>[];
    /** Function name (also its log group's): unique per account and region, at most 64 characters. */
    functionName: string;
    /** What the messages say about where alarms come from. */
    context: {
        prefix: string;
        environment: string;
        target: string;
        services: string[];
        runbookUrl: string;
    };
    /** Days Secrets Manager keeps a deleted secret (0: at once). @default 7 */
    recoveryWindowDays?: number;
    /** @default 30 */
    logRetentionDays?: number;
    /** Seconds the function may run: every delivery and its retries fit inside. @default 30 */
    timeoutSeconds?: number;
}

/** The secret value a destination's forwarder reads. Pure. */
export function destinationSecret(d: NotifyForwarderArgs["destinations"][number]): pulumi.Output<string> {
    if (d.type === "slack" && !d.webhookUrl)
        throw new Error(
            `destination "${d.name}": a Slack destination on AWS needs webhookSecret (checked in the config first)`,
        );
    return d.type === "slack" ? d.webhookUrl! : d.type === "pagerduty" ? d.integrationKey : d.url;
}

export class NotifyForwarder extends pulumi.ComponentResource {
    public readonly function: aws.lambda.Function;
    public readonly secrets: aws.secretsmanager.Secret[];
    public readonly subscription: aws.sns.TopicSubscription;

    constructor(name: string, args: NotifyForwarderArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:NotifyForwarder", name, {}, opts);
        const child = { parent: this };
        this.secrets = args.destinations.map((d) => {
            const secret = new aws.secretsmanager.Secret(
                `${name}-${d.name}`,
                {
                    description: `${d.type} destination "${d.name}" of ${args.context.prefix} alarms`,
                    recoveryWindowInDays: args.recoveryWindowDays ?? 7,
                },
                child,
            );
            new aws.secretsmanager.SecretVersion(
                `${name}-${d.name}-value`,
                { secretId: secret.id, secretString: pulumi.secret(destinationSecret(d)) },
                child,
            );
            return secret;
        });

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays ?? 30 },
            child,
        );
        const role = new aws.iam.Role(
            `${name}-role`,
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
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([pulumi.all(this.secrets.map((s) => s.arn)), logGroup.arn])
                    .apply(([secretArns, logArn]) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [
                                ...(secretArns.length > 0
                                    ? [
                                          {
                                              Effect: "Allow",
                                              Action: "secretsmanager:GetSecretValue",
                                              Resource: secretArns,
                                          },
                                      ]
                                    : []),
                                {
                                    Effect: "Allow",
                                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                                    Resource: `${logArn}:*`,
                                },
                            ],
                        }),
                    ),
            },
            child,
        );
        this.function = new aws.lambda.Function(
            `${name}-fn`,
            {
                name: args.functionName,
                description: `Forwards ${args.context.prefix} alarms to Slack, PagerDuty and webhooks`,
                runtime: "nodejs20.x",
                architectures: ["arm64"],
                handler: "index.handler",
                code: bundleArchive({ entry: "lambda/notify/index.ts" }),
                role: role.arn,
                timeout: args.timeoutSeconds ?? 30,
                memorySize: 128,
                environment: {
                    variables: {
                        DESTINATIONS: pulumi.all(this.secrets.map((s) => s.arn)).apply((arns) =>
                            JSON.stringify(
                                args.destinations.map((d, i) => ({
                                    name: d.name,
                                    type: d.type,
                                    events: d.events,
                                    secretArn: arns[i],
                                })),
                            ),
                        ),
                        ALARM_CONTEXT: JSON.stringify(args.context),
                    },
                },
            },
            { parent: this, dependsOn: [logGroup] },
        );
        const permission = new aws.lambda.Permission(
            `${name}-invoke`,
            {
                action: "lambda:InvokeFunction",
                function: this.function.name,
                principal: "sns.amazonaws.com",
                sourceArn: args.topicArn,
            },
            child,
        );
        // A "lambda" subscription needs no confirmation: SNS confirms it when it is created.
        this.subscription = new aws.sns.TopicSubscription(
            `${name}-sub`,
            { topic: args.topicArn, protocol: "lambda", endpoint: this.function.arn },
            { parent: this, dependsOn: [permission] },
        );
        this.registerOutputs({ functionName: this.function.name });
    }
}
