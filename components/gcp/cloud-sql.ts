/**
 * Cloud SQL for PostgreSQL: private IP only (no public IPv4) on the configured VPC, TLS required
 * (`ENCRYPTED_ONLY`), backups with point-in-time recovery and a maintenance window; production is
 * REGIONAL (high availability) with deletion protection, staging ZONAL on a small tier. A database,
 * a user with a generated password, and that password kept in Secret Manager.
 *
 * How Cloud Run reaches it is the stack's choice (`gcp.databaseConnection`):
 * - `unix-socket`: the Cloud SQL volume mounts the connector's socket under /cloudsql; no VPC
 *   egress needed, IAM (`cloudsql.client`) decides who connects, and the connector encrypts.
 * - `private-ip`: Direct VPC egress to the instance's private address; no connector in the path
 *   (lower latency, plain PostgreSQL clients), but the service needs a subnet and TLS is on the app.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as random from "@pulumi/random";
import type { DatabaseConfig } from "../config";
import type { DatabaseConnection } from "../contract";

export interface CloudSqlArgs extends DatabaseConfig {
    project: string;
    region: string;
    /** VPC (self link or name) the private IP lives on. */
    network: string;
    /** Create the private services access peering on the network. @default false */
    createPrivateServiceAccess?: boolean;
    connection: "unix-socket" | "private-ip";
    /** Secret id of the generated password, e.g. `production-db-password`. */
    passwordSecretId: string;
    /** @default {} */
    labels?: Record<string, string>;
}

/** Settings that depend on the environment, as the provider receives them. Pure. */
export function cloudSqlSettings(
    a: Pick<
        CloudSqlArgs,
        | "tier"
        | "multiAz"
        | "backupRetentionDays"
        | "allocatedStorageGiB"
        | "maxAllocatedStorageGiB"
        | "performanceInsights"
        | "network"
    >,
) {
    return {
        tier: a.tier,
        edition: "ENTERPRISE",
        availabilityType: a.multiAz ? "REGIONAL" : "ZONAL",
        diskType: "PD_SSD",
        diskSize: a.allocatedStorageGiB,
        diskAutoresize: true,
        diskAutoresizeLimit: a.maxAllocatedStorageGiB,
        backupConfiguration: {
            enabled: true,
            pointInTimeRecoveryEnabled: true,
            startTime: "18:00",
            // Logs for fewer days than the backups they replay from (1-7; config keeps >= 2 backups).
            transactionLogRetentionDays: Math.max(1, Math.min(7, a.backupRetentionDays - 1)),
            backupRetentionSettings: { retainedBackups: a.backupRetentionDays, retentionUnit: "COUNT" },
        },
        // Sunday 03:00 in asia-east1 (UTC+8) is Saturday 19:00 UTC: day 6, hour 19.
        maintenanceWindow: { day: 6, hour: 19, updateTrack: "stable" },
        ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: a.network,
            sslMode: "ENCRYPTED_ONLY",
            enablePrivatePathForGoogleCloudServices: true,
        },
        insightsConfig: { queryInsightsEnabled: a.performanceInsights },
        databaseFlags: [{ name: "log_min_duration_statement", value: "1000" }],
    };
}

export class CloudSql extends pulumi.ComponentResource {
    public readonly instance: gcp.sql.DatabaseInstance;
    public readonly connection: DatabaseConnection;
    /** `project:region:instance`. */
    public readonly connectionName: pulumi.Output<string>;
    /** The app's database user: a revision that connects waits on it. */
    public readonly user: gcp.sql.User;

    constructor(name: string, args: CloudSqlArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:CloudSql", name, {}, opts);
        const dependsOn: pulumi.Resource[] = [];
        if (args.createPrivateServiceAccess) {
            const range = new gcp.compute.GlobalAddress(
                `${name}-psa-range`,
                {
                    project: args.project,
                    network: args.network,
                    purpose: "VPC_PEERING",
                    addressType: "INTERNAL",
                    prefixLength: 16,
                },
                { parent: this },
            );
            dependsOn.push(
                new gcp.servicenetworking.Connection(
                    `${name}-psa`,
                    {
                        network: args.network,
                        service: "servicenetworking.googleapis.com",
                        reservedPeeringRanges: [range.name],
                        // The peering is the VPC's, shared with anything else using private
                        // services access; removing it on destroy fails while Cloud SQL still
                        // holds addresses ("Producer services are still using this connection").
                        deletionPolicy: "ABANDON",
                    },
                    { parent: this },
                ),
            );
        }
        this.instance = new gcp.sql.DatabaseInstance(
            `${name}-instance`,
            {
                project: args.project,
                region: args.region,
                databaseVersion: `POSTGRES_${args.engineVersion.split(".")[0]}`,
                deletionProtection: args.deletionProtection,
                settings: {
                    ...cloudSqlSettings(args),
                    deletionProtectionEnabled: args.deletionProtection,
                    userLabels: args.labels,
                },
            },
            { parent: this, dependsOn },
        );
        new gcp.sql.Database(
            `${name}-database`,
            { project: args.project, instance: this.instance.name, name: args.name },
            { parent: this },
        );
        const generated = new random.RandomPassword(
            `${name}-password`,
            { length: 40, special: false },
            { parent: this },
        );
        const password = pulumi.secret(generated.result);
        this.user = new gcp.sql.User(
            `${name}-user`,
            { project: args.project, instance: this.instance.name, name: args.username, password },
            { parent: this },
        );
        const secret = new gcp.secretmanager.Secret(
            `${name}-password`,
            {
                project: args.project,
                secretId: args.passwordSecretId,
                replication: { auto: {} },
                labels: args.labels,
            },
            { parent: this },
        );
        new gcp.secretmanager.SecretVersion(
            `${name}-password`,
            { secret: secret.id, secretData: password, deletionPolicy: "ABANDON" },
            { parent: this },
        );

        this.connectionName = this.instance.connectionName;
        this.connection = {
            host:
                args.connection === "unix-socket"
                    ? pulumi.interpolate`/cloudsql/${this.instance.connectionName}`
                    : this.instance.privateIpAddress,
            port: 5432,
            name: args.name,
            user: args.username,
            password,
        };
        this.registerOutputs({ connectionName: this.connectionName });
    }
}
