/** The whole stack config's schema, its parsed and normalized types, and its key paths. */
import { z } from "zod";
import { alarmsSchema } from "./alarms";
import { awsSchema, blueGreenSchema, networkSchema } from "./aws";
import { type Architecture, slug, strict } from "./common";
import { type DatabaseConfig, databaseSchema } from "./database";
import { gcpSchema } from "./gcp";
import { notificationsSchema } from "./notifications";
import { secretSchema } from "./secrets";
import { type ServiceConfig, serviceSchema } from "./services";
import type { Sizing } from "./sizes";
import { vmSchema } from "./vm";

/** Shape of the config keys, before secrets are added. Keys are the part after `service-deploy:`. */
export const stackConfigShape = {
    /** Environment name: staging, production, or any other. */
    environment: slug,
    /** Whether production guardrails apply. @default environment === "production" */
    production: z.boolean().optional(),
    services: z.array(serviceSchema).min(1, "declare at least one service"),
    database: databaseSchema.optional(),
    /** Secrets the services may reference, by name. @default {} */
    secrets: z
        .record(
            z.string().regex(/^[a-z][A-Za-z0-9]{1,62}$/, "secret names are camelCase, e.g. stripeApiKey"),
            secretSchema,
        )
        .default({}),
    alarms: alarmsSchema.default(alarmsSchema.parse({})),
    /** Slack, PagerDuty, e-mail and webhook destinations for every target. @default { destinations: [] } */
    notifications: notificationsSchema.default({ destinations: [] }),
    blueGreen: blueGreenSchema.optional(),
    network: networkSchema.default({ mode: "create", cidrBlock: "10.0.0.0/16" }),
    aws: awsSchema.optional(),
    gcp: gcpSchema.optional(),
    vm: vmSchema.optional(),
};

const stackConfigSchema = strict(stackConfigShape);
/** The whole stack config as parsed (before per-environment defaults). */
export type RawStackConfig = z.infer<typeof stackConfigSchema>;

export type CloudRunConfig = Omit<NonNullable<ServiceConfig["cloudRun"]>, "minInstances"> & {
    minInstances: number;
};

export type NormalizedService = Omit<
    ServiceConfig,
    "vcpu" | "memoryMiB" | "desiredCount" | "architecture" | "cloudRun"
> &
    Sizing & {
        architecture: Architecture;
        /** Resolved Cloud Run settings (gcp services). */
        cloudRun?: CloudRunConfig;
    };

export interface StackConfig extends Omit<RawStackConfig, "services" | "database" | "production"> {
    production: boolean;
    services: NormalizedService[];
    database?: DatabaseConfig;
    /** Values of `source: config` secrets, read from their own config keys (Pulumi secrets). */
    secretValues: Record<string, string>;
    logRetentionDays: number;
    /** Project and region from the gcp provider's config (`gcp:project`, `gcp:region`), when a service targets gcp. */
    gcpLocation?: { project: string; region: string };
    /** Things worth a look that deploy anyway: env set that the app's declaration never reads. */
    warnings: string[];
}

/**
 * Every config key path the schema accepts, e.g. `services[].health.readiness`, for
 * docs/configuration.md's config reference (test/readme.test.ts keeps the two equal). Secret names are user-chosen keys.
 */
export function schemaKeyPaths(): string[] {
    const out = new Set<string>();
    const walk = (schema: z.ZodType, at: string): void => {
        const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
        switch (def.type) {
            case "optional":
            case "default":
            case "nullable":
            case "prefault":
            case "readonly":
                walk(def.innerType, at);
                return;
            case "pipe":
                walk(def.in, at);
                return;
            case "array":
                walk(def.element, `${at}[]`);
                return;
            case "union":
                for (const o of def.options) walk(o, at);
                return;
            case "record":
                walk(def.valueType, `${at}.<name>`);
                return;
            case "object":
                for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) {
                    const p = at ? `${at}.${k}` : k;
                    out.add(p);
                    walk(v, p);
                }
                return;
            default:
                return;
        }
    };
    for (const [k, v] of Object.entries(stackConfigShape)) {
        out.add(k);
        walk(v as z.ZodType, k);
    }
    out.add("<secretName>");
    return [...out].sort();
}
