/**
 * The SNS topic every alarm of the stack notifies, and who hears it: e-mail subscriptions (SNS
 * sends each address a confirmation link once), and for Slack, PagerDuty and webhook destinations
 * the forwarding Lambda (notify-forwarder.ts), subscribed with protocol "lambda". There is no
 * `http`/`https` subscription: SNS would post a SubscriptionConfirmation that a Slack or
 * PagerDuty endpoint never confirms.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { NOTIFY_EVENTS, type NotifyEvent } from "../config";
import type { ResolvedDestination } from "../notifications";
import { NotifyForwarder, type NotifyForwarderArgs } from "./notify-forwarder";

export interface AlarmTopicArgs {
    /** Who hears the alarms (components/notifications.ts `resolveDestinations`). @default [] */
    destinations?: ResolvedDestination[];
    /** What the forwarder's messages say; needed when a destination is not e-mail. @default none */
    forwarder?: Pick<
        NotifyForwarderArgs,
        "functionName" | "context" | "recoveryWindowDays" | "logRetentionDays"
    >;
}

/**
 * The SNS filter policy (on the message body, CloudWatch's alarm JSON) of an e-mail destination
 * that hears only some events, or undefined when it hears all. E-mail cannot tell a rollback
 * alarm from another alarm, so alerts or rollbacks both let ALARM and INSUFFICIENT_DATA through.
 * Pure.
 */
export function emailFilterPolicy(events: readonly NotifyEvent[]): string | undefined {
    if (NOTIFY_EVENTS.every((e) => events.includes(e))) return undefined;
    const states = [
        ...(events.includes("alerts") || events.includes("rollbacks") ? ["ALARM", "INSUFFICIENT_DATA"] : []),
        ...(events.includes("recoveries") ? ["OK"] : []),
    ];
    return JSON.stringify({ NewStateValue: states });
}

/**
 * Subscribe a topic's destinations: e-mail directly, the rest through one forwarder. Resources
 * are children of `parent` (the topic's owner) so the e-mail subscriptions keep the logical names
 * they had (`<name>-email-<i>`).
 */
export function subscribeDestinations(
    name: string,
    topicArn: pulumi.Input<string>,
    destinations: ResolvedDestination[],
    forwarder: AlarmTopicArgs["forwarder"],
    parent: pulumi.Resource,
    provider?: pulumi.ProviderResource,
): NotifyForwarder | undefined {
    const opts = { parent, ...(provider ? { provider } : {}) };
    for (const d of destinations) {
        if (d.type !== "email") continue;
        const filter = emailFilterPolicy(d.events);
        new aws.sns.TopicSubscription(
            /^email-\d+$/.test(d.name) ? `${name}-${d.name}` : `${name}-dest-${d.name}`,
            {
                topic: topicArn,
                protocol: "email",
                endpoint: d.address,
                ...(filter ? { filterPolicy: filter, filterPolicyScope: "MessageBody" } : {}),
            },
            opts,
        );
    }
    const forwarded = destinations.filter(
        (d): d is Exclude<ResolvedDestination, { type: "email" }> => d.type !== "email",
    );
    if (forwarded.length === 0) return undefined;
    if (!forwarder)
        throw new Error(`${name}: Slack/PagerDuty/webhook destinations need the forwarder's settings`);
    return new NotifyForwarder(
        `${name}-notify`,
        { topicArn, destinations: forwarded, ...forwarder },
        { parent, ...(provider ? { providers: [provider] } : {}) },
    );
}

export class AlarmTopic extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly arn: pulumi.Output<string>;
    public readonly forwarder?: NotifyForwarder;

    constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:AlarmTopic", name, {}, opts);
        // No KMS key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key.
        this.topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this });
        this.forwarder = subscribeDestinations(
            name,
            this.topic.arn,
            args.destinations ?? [],
            args.forwarder,
            this,
        );
        this.arn = this.topic.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
