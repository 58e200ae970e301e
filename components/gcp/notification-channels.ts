/**
 * Cloud Monitoring notification channels from the alarm config: e-mail, and webhooks whose URLs
 * come from declared secrets (a Slack or PagerDuty URL carries a token), so the channel's labels
 * are a secret input and stay encrypted in state.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

export interface NotificationChannelsArgs {
    project: string;
    /** @default [] */
    emails?: string[];
    /** Webhook URLs, as secrets. @default [] */
    webhooks?: pulumi.Output<string>[];
}

export class NotificationChannels extends pulumi.ComponentResource {
    public readonly names: pulumi.Output<string[]>;

    constructor(name: string, args: NotificationChannelsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:NotificationChannels", name, {}, opts);
        const channels = [
            ...(args.emails ?? []).map(
                (email, i) =>
                    new gcp.monitoring.NotificationChannel(
                        `${name}-email-${i}`,
                        {
                            project: args.project,
                            type: "email",
                            displayName: `e-mail ${email}`,
                            labels: { email_address: email },
                        },
                        { parent: this },
                    ),
            ),
            ...(args.webhooks ?? []).map(
                (url, i) =>
                    new gcp.monitoring.NotificationChannel(
                        `${name}-webhook-${i}`,
                        {
                            project: args.project,
                            type: "webhook_tokenauth",
                            displayName: `webhook ${i}`,
                            labels: pulumi.secret(url.apply((u) => ({ url: u }))),
                        },
                        { parent: this },
                    ),
            ),
        ];
        this.names = pulumi.all(channels.map((c) => c.name));
        this.registerOutputs({ names: this.names });
    }
}
