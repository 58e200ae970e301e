/**
 * RDS PostgreSQL: encrypted, private, TLS forced (`rds.force_ssl=1`), backed up everywhere; in
 * production also Multi-AZ, 14-day backups, deletion protection, a final snapshot and Performance
 * Insights (SD-011, docs/failures.md#sd-011). The password is generated (@pulumi/random, a secret in state) and
 * reaches the app only through Secrets Manager; it is never a plain resource input or output.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { DatabaseConfig } from "../config";
import type { DatabaseConnection } from "../contract";

export interface PostgresArgs extends DatabaseConfig {
    vpcId: pulumi.Input<string>;
    /** Private subnets in at least two AZs. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Prefix of the final snapshot taken on deletion; a random suffix made with the instance
     * makes it unique, so destroying a stack a second time (after an up) does not collide with
     * the snapshot the first destroy left.
     */
    finalSnapshotPrefix: string;
    /**
     * Refuse, in Pulumi, any plan that deletes or replaces the instance (`protect`): a change that
     * forces replacement would otherwise create a new, empty database and delete the old one.
     * @default false
     */
    protect?: boolean;
    /**
     * Where the app's image holds AWS's RDS CA bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem);
     * DATABASE_URL verifies the server against it. @default "/etc/ssl/certs/rds-global-bundle.pem"
     */
    caFile?: string;
}

/** Where the app's image keeps the RDS CA bundle, unless configured. */
export const RDS_CA_FILE = "/etc/ssl/certs/rds-global-bundle.pem";

/**
 * The final snapshot's identifier: 1-255 letters, digits and hyphens, starting with a letter, no
 * `--`, not ending with `-` (RDS DeleteDBInstance FinalDBSnapshotIdentifier). Pure.
 */
export function finalSnapshotIdentifier(prefix: string, suffix: string): string {
    const clean = `${prefix}-final-${suffix}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "-")
        .replace(/-+/g, "-")
        .replace(/^[^a-z]+/, "");
    return clean.slice(0, 255).replace(/-+$/, "");
}

/** Parameter group family for an engine version: "16.4" -> "postgres16". Pure. */
export function parameterFamily(engineVersion: string): string {
    return `postgres${engineVersion.split(".")[0]}`;
}

/** Memory (GiB) of common RDS classes, derived from the family letter and size. Pure. */
export function instanceMemoryGiB(instanceClass: string): number | undefined {
    const m = /^db\.([a-z]+)\d+[a-z]*\.(micro|small|medium|large|xlarge|(\d+)xlarge)$/.exec(instanceClass);
    if (!m) return undefined;
    const [, family, size, times] = m;
    const perXlarge: Record<string, number> = { t: 16, m: 16, r: 32, x: 64 };
    const base = perXlarge[family[0]];
    if (base === undefined) return undefined;
    if (size === "micro") return 1;
    if (size === "small") return 2;
    if (size === "medium") return 4;
    if (size === "large") return base / 2;
    if (size === "xlarge") return base;
    return base * Number(times);
}

/** RDS PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory/9531392, 5000). Pure. */
export function postgresMaxConnections(instanceClass: string): number | undefined {
    const gib = instanceMemoryGiB(instanceClass);
    return gib === undefined ? undefined : Math.min(Math.floor((gib * 1024 ** 3) / 9531392), 5000);
}

export class Postgres extends pulumi.ComponentResource {
    public readonly instance: aws.rds.Instance;
    public readonly securityGroup: aws.ec2.SecurityGroup;
    public readonly connection: DatabaseConnection;
    /** Endpoint `host:port`, never the password. */
    public readonly endpoint: pulumi.Output<string>;
    private readonly baseName: string;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:Postgres", name, {}, opts);
        this.baseName = name;
        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-db`,
            {
                vpcId: args.vpcId,
                description: `PostgreSQL of ${name}: 5432 from the service tasks only`,
            },
            { parent: this },
        );
        const subnets = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            { subnetIds: args.subnetIds },
            { parent: this },
        );
        const params = new aws.rds.ParameterGroup(
            `${name}-params`,
            {
                family: parameterFamily(args.engineVersion),
                description: "TLS forced; slow statements logged",
                parameters: [
                    { name: "rds.force_ssl", value: "1" },
                    { name: "log_min_duration_statement", value: "1000" },
                ],
            },
            { parent: this },
        );
        // Made with the instance and gone with it: the next stack's instance gets a new one.
        const snapshotSuffix = new random.RandomId(
            `${name}-final-snapshot`,
            { byteLength: 4 },
            { parent: this },
        );
        // Why not an RDS-managed master secret (manageMasterUserPassword): RDS rotates it (every 7
        // days by default) behind the program's back, while the app reads one DATABASE_URL built
        // from the password into the service's own secret, which would then go stale. A separate
        // app role needs SQL run inside the VPC at deploy time, a path the deployer does not have.
        // The generated password below stays in Pulumi state as a secret and reaches the app only
        // through Secrets Manager.
        const generated = new random.RandomPassword(
            `${name}-password`,
            { length: 40, special: false },
            { parent: this },
        );
        // Secret by the engine's additionalSecretOutputs already; explicit so it holds under mocks too.
        const password = pulumi.secret(generated.result);
        this.instance = new aws.rds.Instance(
            `${name}-db`,
            {
                engine: "postgres",
                engineVersion: args.engineVersion,
                instanceClass: args.instanceClass,
                allocatedStorage: args.allocatedStorageGiB,
                maxAllocatedStorage: args.maxAllocatedStorageGiB,
                storageType: "gp3",
                storageEncrypted: true,
                dbName: args.name,
                username: args.username,
                password,
                port: 5432,
                dbSubnetGroupName: subnets.name,
                vpcSecurityGroupIds: [this.securityGroup.id],
                parameterGroupName: params.name,
                publiclyAccessible: false,
                multiAz: args.multiAz,
                backupRetentionPeriod: args.backupRetentionDays,
                // 02:00-03:00 and Sunday 03:30 in ap-northeast-1 (UTC+9): the service's quiet hours.
                backupWindow: "17:00-18:00",
                maintenanceWindow: "sat:18:30-sat:19:30",
                deletionProtection: args.deletionProtection,
                skipFinalSnapshot: false,
                finalSnapshotIdentifier: snapshotSuffix.hex.apply((hex) =>
                    finalSnapshotIdentifier(args.finalSnapshotPrefix, hex),
                ),
                copyTagsToSnapshot: true,
                performanceInsightsEnabled: args.performanceInsights,
                performanceInsightsRetentionPeriod: args.performanceInsights ? 7 : undefined,
                autoMinorVersionUpgrade: true,
                allowMajorVersionUpgrade: false,
                // Changes wait for the maintenance window unless someone decides otherwise.
                applyImmediately: false,
            },
            { parent: this, protect: args.protect ?? false },
        );
        this.connection = {
            host: this.instance.address,
            port: this.instance.port,
            name: args.name,
            user: args.username,
            password,
            caFile: args.caFile ?? RDS_CA_FILE,
        };
        this.endpoint = this.instance.endpoint;
        this.registerOutputs({ endpoint: this.endpoint });
    }

    /** Let one service's tasks in on 5432: the only ingress the database has. */
    allowFrom(role: string, securityGroupId: pulumi.Input<string>): aws.vpc.SecurityGroupIngressRule {
        return new aws.vpc.SecurityGroupIngressRule(
            `${this.baseName}-db-from-${role}`,
            {
                securityGroupId: this.securityGroup.id,
                referencedSecurityGroupId: securityGroupId,
                ipProtocol: "tcp",
                fromPort: 5432,
                toPort: 5432,
                description: `PostgreSQL from ${role} tasks`,
            },
            { parent: this },
        );
    }
}
