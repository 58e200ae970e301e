/** `notifications`: who hears about alarms, rollbacks and recoveries, on every target. */
import { z } from "zod";
import { cite } from "../failures";
import { PROJECT, slug, strict } from "./common";
import type { ConfigProblem } from "./errors";
import type { RawStackConfig } from "./schema";

/**
 * What a destination hears: `alerts` (something is wrong and nothing has acted yet: an alarm
 * fired, health checks fail), `rollbacks` (the system acted on its own: ECS rolled a deploy back,
 * the VM watchdog restarted a container), `recoveries` (back to normal: an alarm returned to OK).
 */
export const NOTIFY_EVENTS = ["alerts", "rollbacks", "recoveries"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A declared secret's name; the destination's URL, token or key is that secret's value. */
const secretRef = (what: string) =>
    z
        .string({ error: `name the declared secret holding ${what} (a secret, never plain config)` })
        .min(1, `name the declared secret holding ${what}`);
const destinationBase = {
    /** Stable name of the destination; cloud resources derive their logical names from it. */
    name: slug,
    /** What this destination hears. @default ["alerts", "rollbacks", "recoveries"] */
    events: z
        .array(z.enum(NOTIFY_EVENTS))
        .min(1, "list at least one of alerts, rollbacks, recoveries (or remove the destination)")
        .default([...NOTIFY_EVENTS]),
};
const destinationSchema = z.discriminatedUnion(
    "type",
    [
        strict({
            type: z.literal("email"),
            ...destinationBase,
            /** The address; AWS sends it a confirmation link once. */
            address: z.email("must be an e-mail address such as oncall@example.com"),
        }),
        strict({
            type: z.literal("slack"),
            ...destinationBase,
            /** Declared secret holding the incoming webhook URL (https://hooks.slack.com/services/...). @default none (needed with aws and vm) */
            webhookSecret: secretRef("the Slack incoming webhook URL").optional(),
            /** Channel the GCP `slack` notification channel posts to, e.g. "#oncall". @default none (needed with gcp) */
            channel: z
                .string()
                .regex(/^#?[a-z0-9][a-z0-9._-]{0,79}$/, 'must be a Slack channel name such as "#oncall"')
                .optional(),
            /** Declared secret holding the Slack app's OAuth token (xoxb-...) for GCP's `slack` channel. @default none (needed with gcp) */
            tokenSecret: secretRef("the Slack OAuth token").optional(),
        }),
        strict({
            type: z.literal("pagerduty"),
            ...destinationBase,
            /** Declared secret holding the service's integration (routing) key: Events API v2 on AWS and VM, the `pagerduty` channel on GCP. */
            integrationKeySecret: secretRef("the PagerDuty integration key"),
        }),
        strict({
            type: z.literal("webhook"),
            ...destinationBase,
            /** Declared secret holding the HTTPS URL that receives the documented JSON payload (docs/notifications.md). */
            urlSecret: secretRef("the webhook URL"),
        }),
    ],
    {
        error: (iss) =>
            iss.code === "invalid_union" && (iss as { note?: string }).note === "No matching discriminator"
                ? 'type must be one of "email", "slack", "pagerduty", "webhook"'
                : undefined,
    },
);
export type Destination = z.infer<typeof destinationSchema>;

export const notificationsSchema = strict({
    /** Where alarms, rollbacks and recoveries go, on every target the stack uses. @default [] */
    destinations: z.array(destinationSchema).default([]),
    /**
     * Base URL of the runbook that messages link to (the section is appended as `#anchor`).
     * @default "docs/notifications.md" (the page in this repository)
     */
    runbookUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
});

/** Cross-field rules of `notifications`: secrets declared and set from config, names unique, GCP's needs. Pure. */
export function notificationProblems(
    raw: Partial<RawStackConfig>,
    uses: { gcp: boolean; webhooks: boolean },
): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const declared = raw.secrets ?? {};
    const names = new Map<string, number>();
    (raw.notifications?.destinations ?? []).forEach((d, i) => {
        const at = (k: string) => `${PROJECT}:notifications.destinations[${i}].${k}`;
        if (names.has(d.name))
            out.push({
                key: at("name"),
                message: `duplicate destination name "${d.name}" (also destinations[${names.get(d.name)}])`,
            });
        names.set(d.name, i);
        const refs: [string, string | undefined][] =
            d.type === "slack"
                ? [
                      ["webhookSecret", d.webhookSecret],
                      ["tokenSecret", d.tokenSecret],
                  ]
                : d.type === "pagerduty"
                  ? [["integrationKeySecret", d.integrationKeySecret]]
                  : d.type === "webhook"
                    ? [["urlSecret", d.urlSecret]]
                    : [];
        for (const [k, name] of refs) {
            if (name === undefined) continue;
            const decl = declared[name];
            if (!decl)
                out.push({
                    key: at(k),
                    message: cite(
                        "SD-010",
                        `refers to secret "${name}", which is not declared under ${PROJECT}:secrets (declared: ${Object.keys(declared).join(", ") || "none"}); declare it { source: config } and run: pulumi config set --secret ${name} <value>`,
                    ),
                });
            else if (decl.source !== "config")
                out.push({
                    key: at(k),
                    message: `secret "${name}" is generated, but a vendor issues this value; declare it { source: config } and run: pulumi config set --secret ${name} <value>`,
                });
        }
        if (uses.webhooks && d.type === "slack" && !d.webhookSecret)
            out.push({
                key: at("webhookSecret"),
                message:
                    "a service targets aws or vm, where alarms reach Slack through an incoming webhook: name the declared secret holding its URL (pulumi config set --secret <name> https://hooks.slack.com/services/...)",
            });
        if (uses.gcp && d.type === "slack" && (!d.channel || !d.tokenSecret))
            out.push({
                key: at(d.channel ? "tokenSecret" : "channel"),
                message:
                    "a service targets gcp, whose slack notification channel posts as a Slack app: set channel (e.g. #oncall) and tokenSecret (the app's xoxb- OAuth token, a declared secret)",
            });
    });
    return out;
}
