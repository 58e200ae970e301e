/**
 * The catalogued failure classes (docs/failures.md), each in more than one shape, through the offline plan: every one is
 * refused, by the right check, with a message that says what to change. Stack fixtures go through
 * this project's program; program fixtures are raw resources the way other teams write them
 * (the pack guarding another project).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { knownStacks } from "../scripts/plan";
import { planCli } from "./mocks";

const plan = (args: string[]) => planCli([...args, "--json"]);

interface Fixture {
    name: string;
    failure:
        | "wrong CPU"
        | "URL versus parts"
        | "plaintext credentials"
        | "mutable tag"
        | "unsafe production database"
        | "unpinned secret"
        | "production build";
    args: string[];
    /** exit 1 with these policies' violations, or a program/config refusal. */
    expect: { policy: string; message: RegExp }[] | { exit: 1 | 2; stderr: RegExp };
}

const stack = (file: string, ...extra: string[]) => [
    "--stack",
    "fixture",
    "--config",
    `test/fixtures/stacks/${file}.yaml`,
    ...extra,
];
const program = (file: string) => [
    "--stack",
    "fixture",
    "--program",
    `test/fixtures/programs/${file}.ts`,
    "--config",
    "test/fixtures/programs/config.yaml",
    "--policy-config",
    "test/fixtures/programs/contract.json",
];

const fixtures: Fixture[] = [
    {
        name: "CI built amd64 only",
        failure: "wrong CPU",
        args: program("amd64-only-build"),
        expect: [{ policy: "image-multi-arch", message: /builds linux\/amd64; add linux\/arm64/ }],
    },
    {
        name: "Graviton tasks on an amd64 image",
        failure: "wrong CPU",
        args: program("ecs-arm64-on-amd64-image"),
        expect: [
            {
                policy: "image-platform-matches-target",
                message:
                    /runs on linux\/arm64 \(runtimePlatform\.cpuArchitecture ARM64\) but its image holds only linux\/amd64; rebuild the image for linux\/amd64,linux\/arm64/,
            },
        ],
    },
    {
        name: "an arm64-only index for an amd64 service",
        failure: "wrong CPU",
        args: stack("wrong-cpu-arm64-only-image", "--registry", "test/fixtures/registry-arm64-only.json"),
        expect: {
            exit: 1,
            stderr: /has no linux\/amd64 manifest \(it holds linux\/arm64\), but aws service "api" runs on linux\/amd64; rebuild with --platform linux\/amd64,linux\/arm64/,
        },
    },
    {
        name: "an ARM Mac build on Cloud Run",
        failure: "wrong CPU",
        args: program("cloud-run-arm64-image"),
        expect: [
            {
                policy: "image-platform-matches-target",
                message:
                    /"api" runs on linux\/amd64 \(Cloud Run runs linux\/amd64 only\) but its image holds only linux\/arm64/,
            },
        ],
    },
    {
        name: "an arm64-only index for the Cloud Run stack",
        failure: "wrong CPU",
        args: [
            "--stack",
            "fixture",
            "--config",
            "test/fixtures/stacks/gcp-arm64-only-image.yaml",
            "--registry",
            "test/fixtures/registry-gcp-arm64-only.json",
        ],
        expect: {
            exit: 1,
            stderr: /has no linux\/amd64 manifest \(it holds linux\/arm64\), but gcp service "api" runs on linux\/amd64/,
        },
    },
    {
        name: "Secret Manager read at latest",
        failure: "unpinned secret",
        args: program("cloud-run-latest-secret"),
        expect: [
            {
                policy: "secret-version-pinned",
                message:
                    /DATABASE_URL reads secret api-database-url at latest; pin the version the deploy created/,
            },
        ],
    },
    {
        name: "Secret Manager read at no version",
        failure: "unpinned secret",
        args: program("cloud-run-unversioned-secret"),
        expect: [
            {
                policy: "secret-version-pinned",
                message: /DATABASE_URL reads secret api-database-url at an unspecified version \(latest\)/,
            },
        ],
    },
    {
        name: "production on AWS builds its image",
        failure: "production build",
        args: stack("production-builds"),
        expect: [
            {
                policy: "production-builds-nothing",
                message:
                    /image build "api-build" in a production stack: production deploys the digest that ran healthy in staging/,
            },
        ],
    },
    {
        name: "production on GCP builds its image",
        failure: "production build",
        args: stack("gcp-production-builds"),
        expect: [
            { policy: "production-builds-nothing", message: /image build "api-build" in a production stack/ },
        ],
    },
    {
        name: "ECS sets the parts, the app reads the URL",
        failure: "URL versus parts",
        args: program("ecs-url-vs-parts"),
        expect: [
            {
                policy: "env-contract-complete",
                message:
                    /reads DATABASE_URL, which this target does not set; DATABASE_HOST\/DATABASE_NAME\/DATABASE_USER\/DATABASE_PASSWORD are set instead/,
            },
        ],
    },
    {
        name: "Cloud Run sets the parts, the app reads the URL (SD-006)",
        failure: "URL versus parts",
        args: program("cloud-run-url-vs-parts"),
        expect: [
            {
                policy: "env-contract-complete",
                message:
                    /Cloud Run service "api": service "api" reads DATABASE_URL, which this target does not set; DATABASE_HOST\/DATABASE_NAME\/DATABASE_USER\/DATABASE_PASSWORD are set instead/,
            },
        ],
    },
    {
        name: "the database URL as a literal",
        failure: "plaintext credentials",
        args: stack("plaintext-database-url"),
        // Refused at config parse, before the pack (which keeps its own check for other programs).
        expect: {
            exit: 2,
            stderr: /services\[0\]\.env\.DATABASE_URL: SD-007: env DATABASE_URL is a literal that looks like a credential \(a URL with user:password@\);.* Run: pulumi config set --secret databaseUrl <value>/,
        },
    },
    {
        name: "a webhook secret as a literal",
        failure: "plaintext credentials",
        args: stack("plaintext-webhook-secret"),
        expect: {
            exit: 2,
            stderr: /env\.PAYMENTS_WEBHOOK_SECRET: SD-007: env PAYMENTS_WEBHOOK_SECRET is a literal that looks like a credential \(a name ending in _SECRET\);.* pulumi config set --secret paymentsWebhookSecret <value>/,
        },
    },
    {
        name: "the compose-file URL in ECS environment",
        failure: "plaintext credentials",
        args: program("ecs-plaintext-env"),
        expect: [
            {
                policy: "no-plaintext-secrets",
                message: /DATABASE_URL is a secret in the contract of "api" but is set in plain environment/,
            },
        ],
    },
    {
        name: "latest on ECS",
        failure: "mutable tag",
        args: program("ecs-mutable-tag"),
        expect: [
            {
                policy: "image-digest-pinned",
                message:
                    /uses image "123456789012\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com\/api:latest", which is not pinned; use <repository>@sha256:<digest>/,
            },
        ],
    },
    {
        name: "a semver tag on Cloud Run",
        failure: "mutable tag",
        args: program("cloud-run-release-tag"),
        expect: [
            {
                policy: "image-digest-pinned",
                message:
                    /uses image "asia-east1-docker\.pkg\.dev\/acme-prod\/apps\/api:v1\.4\.2", which is not pinned/,
            },
        ],
    },
    {
        name: "a release tag in the stack config",
        failure: "mutable tag",
        args: stack("mutable-tag-release"),
        expect: {
            exit: 2,
            stderr: /service-deploy:services\[0\]\.image\.ref: SD-004: must be pinned by digest/,
        },
    },
    {
        name: "single-AZ production with one day of backups",
        failure: "unsafe production database",
        args: stack("unsafe-production-single-az"),
        expect: [
            { policy: "production-database", message: /multiAz is not true/ },
            { policy: "production-database", message: /backupRetentionPeriod is 1; keep at least 7 days/ },
        ],
    },
    {
        name: "production without deletion protection",
        failure: "unsafe production database",
        args: stack("unsafe-production-unprotected"),
        expect: [
            {
                policy: "production-database",
                message: /RDS instance "aws-pg-db": deletionProtection is not true/,
            },
        ],
    },
    {
        name: "RDS on its defaults, public",
        failure: "unsafe production database",
        args: program("rds-defaults"),
        expect: [
            { policy: "production-database", message: /multiAz is not true/ },
            { policy: "production-database", message: /backupRetentionPeriod is 1 \(the default\)/ },
            { policy: "production-database", message: /deletionProtection is not true/ },
            { policy: "production-database", message: /storageEncrypted is not true/ },
            { policy: "production-database", message: /publiclyAccessible is true/ },
            { policy: "production-database", message: /no final snapshot/ },
        ],
    },
    {
        name: "Cloud SQL zonal with a world-open public IP",
        failure: "unsafe production database",
        args: program("cloud-sql-zonal-public"),
        expect: [
            {
                policy: "production-database",
                message: /availabilityType is ZONAL \(the default\); production needs REGIONAL/,
            },
            { policy: "production-database", message: /pointInTimeRecoveryEnabled is not true/ },
            { policy: "production-database", message: /public IPv4 address with authorized networks/ },
            {
                policy: "production-database",
                message:
                    /a public IPv4 address is enabled \(ipv4Enabled is not false\) and no private network is set/,
            },
            { policy: "production-database", message: /sslMode is unset/ },
        ],
    },
];

test("every failure class has more than one fixture", () => {
    const counts = new Map<string, number>();
    for (const f of fixtures) counts.set(f.failure, (counts.get(f.failure) ?? 0) + 1);
    assert.equal(counts.size, 7);
    for (const [failure, n] of counts) assert.ok(n >= 2, `${failure}: ${n}`);
});

const results = new Map(fixtures.map((f) => [f.name, plan(f.args)]));

for (const f of fixtures) {
    test(`${f.failure}: ${f.name} is refused`, async () => {
        const r = await results.get(f.name)!;
        if (!Array.isArray(f.expect)) {
            assert.equal(r.code, f.expect.exit, r.stderr);
            assert.match(r.stderr, f.expect.stderr);
            return;
        }
        assert.equal(r.code, 1, `exit 1 on a mandatory violation; stderr: ${r.stderr}`);
        const doc = JSON.parse(r.stdout);
        const mandatory = doc.violations.filter((v: any) => v.enforcementLevel === "mandatory");
        for (const e of f.expect) {
            assert.ok(
                mandatory.some((v: any) => v.policy === e.policy && e.message.test(v.message)),
                `expected ${e.policy} ${e.message}; got ${JSON.stringify(mandatory, null, 1)}`,
            );
        }
        assert.equal(
            mandatory.length,
            f.expect.length,
            `exactly the expected violations: ${JSON.stringify(
                mandatory.map((v: any) => v.message),
                null,
                1,
            )}`,
        );
        assert.ok(doc.policies.length === 11);
    });
}

test("the committed stacks pass the whole pack with 0 mandatory violations", async () => {
    for (const s of knownStacks()) {
        const r = await plan(["--stack", s]);
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.deepEqual(
            doc.violations.filter((v: any) => v.enforcementLevel === "mandatory"),
            [],
        );
        assert.deepEqual(doc.policies.map((p: any) => p.name).sort(), [
            "edge-security",
            "env-contract-complete",
            "health-checks-consistent",
            "image-digest-pinned",
            "image-multi-arch",
            "image-platform-matches-target",
            "no-plaintext-secrets",
            "production-builds-nothing",
            "production-database",
            "secret-version-pinned",
            "service-has-alarms",
        ]);
    }
});
