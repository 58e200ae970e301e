/**
 * The `notifications` section resolved for the components: every destination with its secret
 * value, filtered by what it hears. One place decides which destination hears which event, so
 * AWS, GCP and the VM watchdog agree. Pure, apart from the Pulumi outputs it passes through.
 */
import type * as pulumi from "@pulumi/pulumi";
import { NOTIFY_EVENTS, type Destination, type NotifyEvent, type StackConfig } from "./config";

/** Where messages link to when the stack sets no `notifications.runbookUrl`. */
export const DEFAULT_RUNBOOK = "docs/notifications.md";

/** A destination with its secret values resolved (Pulumi secrets), ready for a component. */
export type ResolvedDestination =
    | { type: "email"; name: string; events: NotifyEvent[]; address: string }
    | {
          type: "slack";
          name: string;
          events: NotifyEvent[];
          /** The incoming webhook URL (AWS and VM). */
          webhookUrl?: pulumi.Output<string>;
          channel?: string;
          token?: pulumi.Output<string>;
      }
    | { type: "pagerduty"; name: string; events: NotifyEvent[]; integrationKey: pulumi.Output<string> }
    | { type: "webhook"; name: string; events: NotifyEvent[]; url: pulumi.Output<string> };

/**
 * The stack's destinations with their secrets. `alarms.emails` (the older, e-mail-only key) stays
 * valid: each address is an e-mail destination hearing everything, named `email-<i>` so the
 * subscriptions created from it keep their logical names.
 */
export function resolveDestinations(
    cfg: Pick<StackConfig, "notifications" | "alarms">,
    secrets: Record<string, pulumi.Output<string>>,
): ResolvedDestination[] {
    const legacy: ResolvedDestination[] = cfg.alarms.emails.map((address, i) => ({
        type: "email",
        name: `email-${i}`,
        events: [...NOTIFY_EVENTS],
        address,
    }));
    const secret = (name: string) => {
        const v = secrets[name];
        if (!v)
            throw new Error(
                `notifications: secret "${name}" has no value (it is checked in the config first)`,
            );
        return v;
    };
    return [
        ...legacy,
        ...cfg.notifications.destinations.map((d: Destination): ResolvedDestination => {
            switch (d.type) {
                case "email":
                    return { type: "email", name: d.name, events: d.events, address: d.address };
                case "slack":
                    return {
                        type: "slack",
                        name: d.name,
                        events: d.events,
                        ...(d.webhookSecret ? { webhookUrl: secret(d.webhookSecret) } : {}),
                        ...(d.channel ? { channel: d.channel } : {}),
                        ...(d.tokenSecret ? { token: secret(d.tokenSecret) } : {}),
                    };
                case "pagerduty":
                    return {
                        type: "pagerduty",
                        name: d.name,
                        events: d.events,
                        integrationKey: secret(d.integrationKeySecret),
                    };
                default:
                    return { type: "webhook", name: d.name, events: d.events, url: secret(d.urlSecret) };
            }
        }),
    ];
}

/** Whether a destination hears an event. Pure. */
export const hears = (d: { events: readonly NotifyEvent[] }, e: NotifyEvent): boolean => d.events.includes(e);
