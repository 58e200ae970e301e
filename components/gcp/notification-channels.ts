/**
 * Cloud Monitoring notification channels from the stack's `notifications` destinations:
 * - email: an `email` channel (as before).
 * - slack: the `slack` channel type, which posts as a Slack app to `channel`; the app's OAuth
 *   token goes in `sensitiveLabels.authToken` (the provider hides it from plans; Pulumi keeps it
 *   encrypted in state). A `webhook_tokenauth` channel would post Monitoring's incident JSON,
 *   which Slack refuses with `no_text`.
 * - pagerduty: the `pagerduty` channel type, the integration key in `sensitiveLabels.serviceKey`.
 * - webhook: `webhook_tokenauth`, the URL (it carries the token) as a secret label; it receives
 *   Cloud Monitoring's incident JSON (docs/notifications.md says so).
 * Field names from @pulumi/gcp 9.37.0 monitoring/notificationChannel.d.ts (NotificationChannelSensitiveLabels).
 *
 * A Cloud Monitoring alert policy notifies all its channels when an incident opens and closes, so
 * a channel exists for every destination that hears `alerts`; GCP cannot hold back the close
 * ("recovery") per channel, and nothing on Cloud Run rolls back by itself.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { hears, type ResolvedDestination } from "../notifications";

export interface NotificationChannelsArgs {
    project: string;
    /** The stack's destinations (components/notifications.ts `resolveDestinations`). @default [] */
    destinations?: ResolvedDestination[];
}

/** The channel type and plain labels of a destination on GCP. Pure. */
export function channelSpec(d: ResolvedDestination): { type: string; labels?: Record<string, string> } {
    switch (d.type) {
        case "email":
            return { type: "email", labels: { email_address: d.address } };
        case "slack":
            return { type: "slack", labels: { channel_name: d.channel ?? "" } };
        case "pagerduty":
            return { type: "pagerduty" };
        case "webhook":
            return { type: "webhook_tokenauth" };
    }
}

export class NotificationChannels extends pulumi.ComponentResource {
    public readonly names: pulumi.Output<string[]>;

    constructor(name: string, args: NotificationChannelsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:NotificationChannels", name, {}, opts);
        const channels = (args.destinations ?? [])
            .filter((d) => hears(d, "alerts"))
            .map((d) => {
                const spec = channelSpec(d);
                // `email-<i>` is the logical name the e-mail channels had before destinations existed.
                const logical = d.type === "email" && /^email-\d+$/.test(d.name) ? d.name : `dest-${d.name}`;
                return new gcp.monitoring.NotificationChannel(
                    `${name}-${logical}`,
                    {
                        project: args.project,
                        type: spec.type,
                        displayName: d.type === "email" ? `e-mail ${d.address}` : `${d.type} ${d.name}`,
                        ...(d.type === "webhook"
                            ? { labels: pulumi.secret(d.url.apply((url) => ({ url }))) }
                            : { labels: spec.labels }),
                        ...(d.type === "slack"
                            ? {
                                  sensitiveLabels: pulumi.secret(
                                      pulumi.output(d.token!).apply((authToken) => ({ authToken })),
                                  ),
                              }
                            : {}),
                        ...(d.type === "pagerduty"
                            ? {
                                  sensitiveLabels: pulumi.secret(
                                      d.integrationKey.apply((serviceKey) => ({ serviceKey })),
                                  ),
                              }
                            : {}),
                    },
                    { parent: this },
                );
            });
        this.names = pulumi.all(channels.map((c) => c.name));
        this.registerOutputs({ names: this.names });
    }
}
