/**
 * Everything the stack puts on Google Cloud, wired: notification channels, Cloud SQL and its
 * alerts, and per service a dedicated service account, its Secret Manager secrets, the Cloud Run
 * service and its alerts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Deployed } from "../evidence";
import * as gcp from "@pulumi/gcp";
import { PROJECT, type CloudRunConfig, type NormalizedService, type StackConfig } from "../config";
import { resolveEnv } from "../contract";
import type { ServiceImage } from "../image";
import { NotificationChannels } from "./notification-channels";
import { resolveDestinations } from "../notifications";
import { CloudSql } from "./cloud-sql";
import { DatabaseAlerts } from "./database-alerts";
import { ServiceSecrets } from "./secrets";
import { CloudRunService } from "./cloud-run-service";
import { ServiceAlerts } from "./alerts";
import type { ProjectApis } from "./apis";
import { testerAccountId } from "./release-plan";

export interface GcpTargetArgs {
    config: StackConfig;
    services: NormalizedService[];
    images: Record<string, ServiceImage>;
    secrets: Record<string, pulumi.Output<string>>;
    stack: string;
    /** The project's APIs (components/gcp/apis.ts); every resource here waits on them. */
    apis: ProjectApis;
}

export interface GcpServiceOutputs {
    url: pulumi.Output<string>;
    tagUrls: pulumi.Output<Record<string, string>>;
    servingRevision: pulumi.Output<string>;
    /** Revisions this stack has created and left in place, newest first. */
    revisions: pulumi.Output<string[]>;
    /** Revisions that passed a release (smoke-tested before taking traffic), newest first. */
    released: pulumi.Output<string[]>;
    image: pulumi.Output<string>;
    /** Health evidence for promotion (components/evidence.ts). */
    deployed: pulumi.Output<Deployed>;
}

/** A service account id (6-30 chars, a-z0-9-, starts with a letter) for a service in a stack. Pure. */
export function serviceAccountId(stack: string, service: string): string {
    const id = `${service}-${stack}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "-")
        .replace(/^[^a-z]+/, "");
    return (id.length < 6 ? `${id}-run-sa` : id).slice(0, 30).replace(/-+$/, "");
}

/**
 * Revisions a service's last update left in place, from the stack's outputs then: its `revisions`,
 * or for outputs written before that existed, the serving revision and the tagged ones. Pure.
 */
export function knownRevisions(lastServices: unknown, service: string): string[] {
    const s = (lastServices as Record<string, any> | undefined)?.[service];
    if (!s || typeof s !== "object") return [];
    if (Array.isArray(s.revisions)) return s.revisions.map(String);
    const tags = Object.keys(s.tagUrls ?? {}).map((t) => `${service}-${t.replace(/^rev-/, "")}`);
    return [...new Set([...(s.servingRevision ? [String(s.servingRevision)] : []), ...tags])];
}

/**
 * Revisions of a service that passed a release, from the stack's outputs of its last update: its
 * `released`, or for outputs written before that existed, every revision it knew (`knownRevisions`):
 * they all shipped without the smoke gate, so a rollback to any of them is allowed. Pure.
 */
export function releasedRevisions(lastServices: unknown, service: string): string[] {
    const s = (lastServices as Record<string, any> | undefined)?.[service];
    if (!s || typeof s !== "object") return [];
    if (Array.isArray(s.released)) return s.released.map(String);
    return knownRevisions(lastServices, service);
}

/** The revision that served at the stack's last update (its `servingRevision` output), or null. Pure. */
export function lastServingRevision(lastServices: unknown, service: string): string | null {
    const s = (lastServices as Record<string, any> | undefined)?.[service];
    return s && typeof s === "object" && s.servingRevision ? String(s.servingRevision) : null;
}

export class GcpTarget extends pulumi.ComponentResource {
    public readonly services: Record<string, GcpServiceOutputs> = {};
    public readonly databaseConnectionName?: pulumi.Output<string>;

    constructor(name: string, args: GcpTargetArgs, opts?: pulumi.ComponentResourceOptions) {
        // Every Google resource below waits on the APIs: a transformation on this component
        // reaches all its descendants, including ones a later change adds.
        const waitOnApis: pulumi.ResourceTransformation = (a) =>
            a.type.startsWith("gcp:") && a.type !== "gcp:projects/service:Service"
                ? {
                      props: a.props,
                      opts: pulumi.mergeOptions(a.opts, { dependsOn: args.apis.services }),
                  }
                : undefined;
        super(
            "service-deploy:gcp:GcpTarget",
            name,
            {},
            {
                ...opts,
                transformations: [...(opts?.transformations ?? []), waitOnApis],
            },
        );
        const cfg = args.config;
        const { project, region } = cfg.gcpLocation!;
        const gcpCfg = cfg.gcp ?? {
            databaseConnection: "unix-socket" as const,
            createPrivateServiceAccess: false,
            artifactRepository: "services",
        };
        const labels = { [`${PROJECT}-stack`]: args.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-") };

        const channels = new NotificationChannels(
            `${name}-channels`,
            {
                project,
                destinations: resolveDestinations(cfg, args.secrets),
            },
            { parent: this },
        );

        // The stack's own outputs from its last update: which revisions exist for traffic.previous
        // and keep. A StackReference is read from the backend's state, during preview as well.
        const last = new pulumi.StackReference(
            `${name}-last-update`,
            { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` },
            { parent: this },
        );
        const lastServices = last.getOutput("services");

        let db: CloudSql | undefined;
        if (cfg.database && cfg.database.target === "gcp") {
            db = new CloudSql(
                `${name}-sql`,
                {
                    ...cfg.database,
                    project,
                    region,
                    network: gcpCfg.network!,
                    createPrivateServiceAccess: gcpCfg.createPrivateServiceAccess,
                    connection: gcpCfg.databaseConnection,
                    passwordSecretId: `${args.stack}-db-password`,
                    labels,
                },
                { parent: this },
            );
            new DatabaseAlerts(
                `${name}-sql-alerts`,
                {
                    project,
                    databaseId: db.instance.name.apply((n) => `${project}:${n}`),
                    channels: channels.names,
                    cpuPercent: cfg.alarms.databaseCpuPercent,
                    freeStoragePercent: cfg.alarms.databaseFreeStoragePercent,
                },
                { parent: this },
            );
            this.databaseConnectionName = db.connectionName;
        }

        for (const svc of args.services) {
            const n = `${name}-${svc.name}`;
            const readsDb = Object.values(svc.env).some((e) => "from" in e && e.from.startsWith("database."));
            const account = new gcp.serviceaccount.Account(
                `${n}-sa`,
                {
                    project,
                    accountId: serviceAccountId(args.stack, svc.name),
                    displayName: `${svc.name} (${args.stack}) on Cloud Run`,
                },
                { parent: this },
            );
            if (readsDb && db) {
                new gcp.projects.IAMMember(
                    `${n}-cloudsql-client`,
                    {
                        project,
                        role: "roles/cloudsql.client",
                        member: pulumi.interpolate`serviceAccount:${account.email}`,
                    },
                    { parent: this },
                );
            }
            const env = resolveEnv(svc.env, {
                database: db?.connection,
                servicePort: svc.port,
                environment: cfg.environment,
                secrets: args.secrets,
            });
            const secrets = new ServiceSecrets(
                `${n}-secrets`,
                {
                    values: env.secret,
                    idPrefix: `${args.stack}-${svc.name}`,
                    project,
                    serviceAccountEmail: account.email,
                    labels,
                },
                { parent: this },
            );
            const image = args.images[svc.name];
            const index = cfg.services.findIndex((s) => s.name === svc.name);
            const run = new CloudRunService(
                n,
                {
                    service: svc as NormalizedService & { cloudRun: CloudRunConfig },
                    project,
                    region,
                    imageRef: image.ref,
                    digest: image.digest,
                    imagePlatforms: image.platforms,
                    serviceAccountEmail: account.email,
                    plainEnv: env.plain,
                    secretEnv: secrets.envs,
                    cloudSqlInstance:
                        readsDb && db && gcpCfg.databaseConnection === "unix-socket"
                            ? db.connectionName
                            : undefined,
                    // Both connections need it: the instance has a private IP only.
                    vpc:
                        readsDb && db
                            ? { network: gcpCfg.network!, subnetwork: gcpCfg.subnetwork! }
                            : undefined,
                    deletionProtection: cfg.production,
                    labels,
                    knownRevisions: lastServices.apply((s) => knownRevisions(s, svc.name)),
                    released: lastServices.apply((s) => releasedRevisions(s, svc.name)),
                    lastServing: lastServices.apply((s) => lastServingRevision(s, svc.name)),
                    testerAccountId: testerAccountId(serviceAccountId(args.stack, svc.name)),
                    trafficKey: `${PROJECT}:services[${index}].cloudRun.traffic`,
                    dependsOn: [...secrets.readers, ...(readsDb && db ? [db.user] : [])],
                },
                { parent: this },
            );
            new ServiceAlerts(
                `${n}-alerts`,
                {
                    project,
                    serviceName: svc.name,
                    url: run.url,
                    healthPath: svc.health.health,
                    maxInstances: svc.cloudRun!.maxInstances,
                    channels: channels.names,
                    errorRatePercent: cfg.alarms.errorRatePercent,
                    errorRateMinutes: cfg.alarms.errorRateMinutes,
                    p95LatencyMs: cfg.alarms.p95LatencyMs,
                    p95LatencyMinutes: cfg.alarms.p95LatencyMinutes,
                },
                { parent: this },
            );
            this.services[svc.name] = {
                url: run.url,
                tagUrls: run.tagUrls,
                servingRevision: run.servingRevision,
                revisions: run.revisions,
                released: run.released,
                image: image.ref,
                deployed: run.deployed,
            };
        }
        this.registerOutputs({ databaseConnectionName: this.databaseConnectionName });
    }
}
