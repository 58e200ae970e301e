/**
 * Production databases (SD-011): Multi-AZ / regional, backups with point-in-time recovery,
 * deletion protection, encryption, private, TLS, a final snapshot. Applies when the stack is
 * production by policy config or stack tag, never by stack name.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import { ofType, type PolicyOptions } from "./common";
import { isProduction, productionSchema, schemaOf } from "./lib";

interface DbConfig {
    minBackupRetentionDays?: number;
}

/** Problems of an RDS instance's inputs for production. Pure. */
export function rdsProblems(p: Record<string, any>, minRetention: number): string[] {
    const out: string[] = [];
    if (p.multiAz !== true) out.push("multiAz is not true: one AZ outage takes production down");
    if ((p.backupRetentionPeriod ?? 1) < minRetention)
        out.push(
            `backupRetentionPeriod is ${p.backupRetentionPeriod ?? "1 (the default)"}; keep at least ${minRetention} days`,
        );
    if (p.deletionProtection !== true) out.push("deletionProtection is not true");
    if (p.storageEncrypted !== true) out.push("storageEncrypted is not true");
    if (p.publiclyAccessible === true)
        out.push("publiclyAccessible is true: the database must be reachable only from the VPC");
    if (p.skipFinalSnapshot === true || !p.finalSnapshotIdentifier)
        out.push(
            "no final snapshot is kept on deletion (skipFinalSnapshot false and a finalSnapshotIdentifier)",
        );
    return out;
}

/** Problems of a Cloud SQL instance's inputs for production. Pure. */
export function cloudSqlProblems(p: Record<string, any>): string[] {
    const s = p.settings ?? {};
    const out: string[] = [];
    if (s.availabilityType !== "REGIONAL")
        out.push(
            `settings.availabilityType is ${s.availabilityType ?? "ZONAL (the default)"}; production needs REGIONAL (high availability)`,
        );
    if (s.backupConfiguration?.enabled !== true) out.push("settings.backupConfiguration.enabled is not true");
    if (s.backupConfiguration?.pointInTimeRecoveryEnabled !== true)
        out.push("settings.backupConfiguration.pointInTimeRecoveryEnabled is not true");
    if (p.deletionProtection === false) out.push("deletionProtection is false");
    const ip = s.ipConfiguration ?? {};
    if (ip.ipv4Enabled !== false && (ip.authorizedNetworks ?? []).length > 0)
        out.push("a public IPv4 address with authorized networks: use private IP only (ipv4Enabled: false)");
    if (ip.ipv4Enabled !== false && !ip.privateNetwork)
        out.push("a public IPv4 address is enabled (ipv4Enabled is not false) and no private network is set");
    if (!["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"].includes(ip.sslMode))
        out.push(
            `settings.ipConfiguration.sslMode is ${ip.sslMode ?? "unset (allows unencrypted)"}; require ENCRYPTED_ONLY or stricter`,
        );
    return out;
}

export function productionDatabase(
    name = "production-database",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    const check =
        (kind: string, problems: (p: Record<string, any>, c: DbConfig) => string[]) =>
        (
            props: Record<string, any>,
            args: Parameters<Parameters<typeof ofType>[1]>[1],
            report: Parameters<Parameters<typeof ofType>[1]>[2],
        ) => {
            if (!isProduction(args))
                return args.notApplicable(
                    "not a production stack (policy config production, or stack tag environment)",
                );
            for (const p of problems(props, args.getConfig<DbConfig>()))
                report(cite("SD-011", `${kind} "${args.name}": ${p}.`));
        };
    return {
        name,
        description:
            "Production databases are highly available, backed up with point-in-time recovery, protected from deletion, encrypted, private and TLS-only.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({
            ...productionSchema,
            minBackupRetentionDays: { type: "integer", default: 7, minimum: 1 },
        }),
        validateResource: [
            ofType(
                "aws:rds/instance:Instance",
                check("RDS instance", (p, c) => rdsProblems(p, c.minBackupRetentionDays ?? 7)),
            ),
            ofType(
                "gcp:sql/databaseInstance:DatabaseInstance",
                check("Cloud SQL instance", (p) => cloudSqlProblems(p)),
            ),
        ],
    };
}
