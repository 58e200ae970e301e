/**
 * The SNS topic every alarm of the stack notifies, with e-mail and HTTPS webhook subscriptions.
 * Webhook URLs (Slack, PagerDuty) carry a token, so they come from declared secrets, never from
 * plain config.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface AlarmTopicArgs {
    /** @default [] */
    emails?: string[];
    /** HTTPS endpoints, as secrets. @default [] */
    webhooks?: pulumi.Output<string>[];
}

export class AlarmTopic extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:AlarmTopic", name, {}, opts);
        // No KMS key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key.
        this.topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this });
        (args.emails ?? []).forEach((email, i) => {
            new aws.sns.TopicSubscription(
                `${name}-email-${i}`,
                { topic: this.topic.arn, protocol: "email", endpoint: email },
                { parent: this },
            );
        });
        (args.webhooks ?? []).forEach((url, i) => {
            new aws.sns.TopicSubscription(
                `${name}-webhook-${i}`,
                {
                    topic: this.topic.arn,
                    protocol: "https",
                    endpoint: pulumi.secret(url),
                    endpointAutoConfirms: false,
                },
                { parent: this },
            );
        });
        this.arn = this.topic.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
