import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { productionDatabase } from "../../policies/production";
import { messages } from "./harness";
import { cloudSql, rds } from "../../scripts/policy-fixtures";

const P = productionDatabase();

test("production-database: a Multi-AZ, backed-up, protected, encrypted, private RDS instance passes", async () => {
    assert.deepEqual(await messages(P, [rds()]), []);
});

test("production-database: every unsafe RDS field is named", async () => {
    const cases: [Record<string, unknown>, string][] = [
        [
            { multiAz: false },
            cite(
                "SD-011",
                'RDS instance "aws-pg-db": multiAz is not true: one AZ outage takes production down.',
            ),
        ],
        [
            { backupRetentionPeriod: 1 },
            cite("SD-011", 'RDS instance "aws-pg-db": backupRetentionPeriod is 1; keep at least 7 days.'),
        ],
        [
            { backupRetentionPeriod: undefined },
            cite(
                "SD-011",
                'RDS instance "aws-pg-db": backupRetentionPeriod is 1 (the default); keep at least 7 days.',
            ),
        ],
        [
            { deletionProtection: false },
            cite("SD-011", 'RDS instance "aws-pg-db": deletionProtection is not true.'),
        ],
        [
            { storageEncrypted: undefined },
            cite("SD-011", 'RDS instance "aws-pg-db": storageEncrypted is not true.'),
        ],
        [
            { publiclyAccessible: true },
            cite(
                "SD-011",
                'RDS instance "aws-pg-db": publiclyAccessible is true: the database must be reachable only from the VPC.',
            ),
        ],
        [
            { skipFinalSnapshot: true },
            cite(
                "SD-011",
                'RDS instance "aws-pg-db": no final snapshot is kept on deletion (skipFinalSnapshot false and a finalSnapshotIdentifier).',
            ),
        ],
    ];
    for (const [change, message] of cases)
        assert.deepEqual(await messages(P, [rds(change)]), [message], JSON.stringify(change));
});

test("production-database: the retention floor is policy config", async () => {
    const config = { "production-database": { production: true, minBackupRetentionDays: 30 } };
    assert.deepEqual(await messages(P, [rds()], config), [
        cite("SD-011", 'RDS instance "aws-pg-db": backupRetentionPeriod is 14; keep at least 30 days.'),
    ]);
});

test("production-database: staging is not production, by config or stack tag, whatever the stack is called", async () => {
    assert.deepEqual(
        await messages(P, [rds({ multiAz: false })], { "production-database": { production: false } }),
        [],
    );
    assert.deepEqual(await messages(P, [rds({ multiAz: false })], {}, { environment: "staging" }), []);
    assert.deepEqual(await messages(P, [rds({ multiAz: false })], {}, { environment: "production" }), [
        cite("SD-011", 'RDS instance "aws-pg-db": multiAz is not true: one AZ outage takes production down.'),
    ]);
    assert.deepEqual(
        await messages(
            P,
            [rds({ multiAz: false })],
            { "production-database": { productionEnvironments: ["prod"] } },
            { environment: "prod" },
        ),
        [
            cite(
                "SD-011",
                'RDS instance "aws-pg-db": multiAz is not true: one AZ outage takes production down.',
            ),
        ],
    );
});

test("production-database: a regional, backed-up, private, TLS-only Cloud SQL instance passes", async () => {
    assert.deepEqual(await messages(P, [cloudSql()]), []);
});

test("production-database: every unsafe Cloud SQL field is named", async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
        [
            { availabilityType: "ZONAL" },
            {},
            cite(
                "SD-011",
                'Cloud SQL instance "gcp-sql-instance": settings.availabilityType is ZONAL; production needs REGIONAL (high availability).',
            ),
        ],
        [
            { backupConfiguration: { enabled: true } },
            {},
            cite(
                "SD-011",
                'Cloud SQL instance "gcp-sql-instance": settings.backupConfiguration.pointInTimeRecoveryEnabled is not true.',
            ),
        ],
        [
            {},
            { deletionProtection: false },
            cite("SD-011", 'Cloud SQL instance "gcp-sql-instance": deletionProtection is false.'),
        ],
        [
            {
                ipConfiguration: {
                    ipv4Enabled: false,
                    privateNetwork: "vpc",
                    sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                },
            },
            {},
            cite(
                "SD-011",
                'Cloud SQL instance "gcp-sql-instance": settings.ipConfiguration.sslMode is ALLOW_UNENCRYPTED_AND_ENCRYPTED; require ENCRYPTED_ONLY or stricter.',
            ),
        ],
    ];
    for (const [settings, props, message] of cases)
        assert.deepEqual(await messages(P, [cloudSql(settings, props)]), [message], JSON.stringify(settings));
    assert.deepEqual(
        await messages(P, [
            cloudSql({
                ipConfiguration: {
                    ipv4Enabled: true,
                    authorizedNetworks: [{ value: "0.0.0.0/0" }],
                    sslMode: "ENCRYPTED_ONLY",
                },
            }),
        ]),
        [
            cite(
                "SD-011",
                'Cloud SQL instance "gcp-sql-instance": a public IPv4 address with authorized networks: use private IP only (ipv4Enabled: false).',
            ),
            cite(
                "SD-011",
                'Cloud SQL instance "gcp-sql-instance": a public IPv4 address is enabled (ipv4Enabled is not false) and no private network is set.',
            ),
        ],
    );
});
