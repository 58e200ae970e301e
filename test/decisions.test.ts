/** Table tests of the pure decision functions. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    defaultSizing,
    databaseDefaults,
    fargateMemoryOptions,
    suggestKey,
    editDistance,
    cloudRunSizeProblem,
    defaultArchitecture,
} from "../components/config";
import { envKind, postgresUrl } from "../components/contract";
import { missingPlatforms, platformsFromManifests, parseDigestRef, contextTag } from "../components/image";
import { subnetCidr, subnetPlan } from "../components/aws/network";
import { instanceMemoryGiB, parameterFamily, postgresMaxConnections } from "../components/aws/postgres";
import { databaseAlarmThresholds } from "../components/aws/database-alarms";
import { ecsCpuArchitecture, fargateCpuUnits, ecsEnvironment } from "../components/aws/fargate-service";
import { recoveryWindowDays, jsonKeyValueFrom } from "../components/aws/secrets";
import { serviceAlarmSpecs } from "../components/aws/alarms";
import { ecrRegistryId } from "../components/aws/ecr";

test("sizes per environment: staging 1 x 0.5 vCPU / 1 GB, production 3 x 1 vCPU / 2 GB", () => {
    assert.deepEqual(defaultSizing(false), { vcpu: 0.5, memoryMiB: 1024, desiredCount: 1 });
    assert.deepEqual(defaultSizing(true), { vcpu: 1, memoryMiB: 2048, desiredCount: 3 });
});

test("database defaults: production is db.r6g.xlarge Multi-AZ with 14-day backups and deletion protection, staging is small", () => {
    assert.deepEqual(databaseDefaults(true), {
        instanceClass: "db.r6g.xlarge",
        tier: "db-custom-2-7680",
        multiAz: true,
        backupRetentionDays: 14,
        deletionProtection: true,
        performanceInsights: true,
    });
    assert.deepEqual(databaseDefaults(false), {
        instanceClass: "db.t4g.micro",
        tier: "db-g1-small",
        multiAz: false,
        backupRetentionDays: 3,
        deletionProtection: false,
        performanceInsights: false,
    });
});

test("Cloud Run sizes: below 1 vCPU needs concurrency 1, memory per vCPU within Cloud Run's range", () => {
    const table: [number, number, number, string | undefined][] = [
        [1, 512, 80, undefined],
        [1, 1024, 80, undefined],
        [0.5, 512, 1, undefined],
        [4, 2048, 80, undefined],
        [8, 4096, 80, undefined],
        [
            0.5,
            512,
            80,
            "below 1 vCPU Cloud Run serves one request at a time; set cloudRun.concurrency to 1 or vcpu to 1",
        ],
        [1, 8192, 80, "8192 MiB is not a Cloud Run size for 1 vCPU; choose 128-4096 MiB"],
        [4, 1024, 80, "1024 MiB is not a Cloud Run size for 4 vCPU; choose 2048-16384 MiB"],
        [16, 4096, 80, "16 vCPU is not a Cloud Run size; choose 0.25, 0.5, 1, 2, 4, 6 or 8"],
    ];
    for (const [vcpu, mem, conc, want] of table)
        assert.equal(cloudRunSizeProblem(vcpu, mem, conc), want, `${vcpu}/${mem}/${conc}`);
    assert.deepEqual(defaultSizing(false, "gcp"), { vcpu: 1, memoryMiB: 512, desiredCount: 1 });
    assert.deepEqual(defaultSizing(true, "gcp"), { vcpu: 1, memoryMiB: 1024, desiredCount: 1 });
    assert.equal(defaultArchitecture("gcp"), "amd64");
    assert.equal(defaultArchitecture("aws"), "arm64");
});

test("Fargate memory options per vCPU", () => {
    const table: [number, number, number, number][] = [
        // vcpu, first, last, count
        [0.25, 512, 2048, 3],
        [0.5, 1024, 4096, 4],
        [1, 2048, 8192, 7],
        [2, 4096, 16384, 13],
        [4, 8192, 30720, 23],
        [8, 16384, 61440, 12],
        [16, 32768, 122880, 12],
    ];
    for (const [vcpu, first, last, count] of table) {
        const o = fargateMemoryOptions(vcpu);
        assert.deepEqual([o[0], o[o.length - 1], o.length], [first, last, count], `vcpu ${vcpu}`);
    }
    assert.deepEqual(fargateMemoryOptions(3), []);
});

test("did-you-mean suggests close keys and stays quiet for far ones", () => {
    const known = ["services", "database", "secrets", "alarms", "blueGreen", "network", "aws", "environment"];
    const table: [string, string | undefined][] = [
        ["servics", "services"],
        ["databse", "database"],
        ["bluegreen", "blueGreen"],
        ["secret", "secrets"],
        ["enviroment", "environment"],
        ["kubernetes", undefined],
        ["x", undefined],
    ];
    for (const [input, expected] of table) assert.equal(suggestKey(input, known), expected, input);
    assert.equal(editDistance("kitten", "sitting"), 3);
});

test("env kinds: literals plain, declared secrets secret, database url and password secret, parts plain", () => {
    const table: [Parameters<typeof envKind>[0], string][] = [
        [{ value: "info" }, "plain"],
        [{ secret: "x" }, "secret"],
        [{ from: "database.url" }, "secret"],
        [{ from: "database.password" }, "secret"],
        [{ from: "database.host" }, "plain"],
        [{ from: "database.port" }, "plain"],
        [{ from: "database.name" }, "plain"],
        [{ from: "database.user" }, "plain"],
        [{ from: "service.port" }, "plain"],
        [{ from: "stack.environment" }, "plain"],
    ];
    for (const [entry, kind] of table) assert.equal(envKind(entry), kind, JSON.stringify(entry));
});

test("postgres URL percent-encodes user and password and requires TLS", () => {
    assert.equal(
        postgresUrl({ host: "db.example", port: 5432, name: "app", user: "app", password: "p@ss:w/rd" }),
        "postgresql://app:p%40ss%3Aw%2Frd@db.example:5432/app?sslmode=require",
    );
    const socket = postgresUrl({
        host: "/cloudsql/p:asia-east1:db",
        port: 5432,
        name: "app",
        user: "app",
        password: "pw",
    });
    assert.equal(socket, "postgresql://app:pw@%2Fcloudsql%2Fp%3Aasia-east1%3Adb/app");
    assert.equal(decodeURIComponent(new URL(socket).hostname), "/cloudsql/p:asia-east1:db");
});

test("missing platforms name the platform, the image and who needs it", () => {
    const need = [{ platform: "linux/arm64", consumer: 'aws service "api"' }];
    assert.deepEqual(missingPlatforms("r/api@sha256:x", ["linux/amd64", "linux/arm64"], need), []);
    assert.deepEqual(missingPlatforms("r/api@sha256:x", ["linux/amd64"], need), [
        'SD-002: image r/api@sha256:x has no linux/arm64 manifest (it holds linux/amd64), but aws service "api" runs on linux/arm64; rebuild with --platform linux/amd64,linux/arm64 (see docs/failures.md#sd-002)',
    ]);
    // A build that leaves the platform out is the one-CPU build (SD-001), not a prebuilt image's gap.
    assert.match(
        missingPlatforms("build api", ["linux/amd64"], need, "SD-001")[0],
        /^SD-001: image build api has no linux\/arm64 manifest.*\(see docs\/failures\.md#sd-001\)$/,
    );
    assert.match(missingPlatforms("r/api@sha256:x", [], need)[0], /not a multi-platform index/);
    assert.deepEqual(
        platformsFromManifests([
            { os: "linux", architecture: "arm64" },
            { os: "linux", architecture: "amd64" },
            { os: "unknown", architecture: "unknown" },
        ]),
        ["linux/amd64", "linux/arm64"],
    );
});

test("digest references parse, tags before the digest are dropped, tags alone are refused", () => {
    const d = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseDigestRef(`ghcr.io/acme/api@${d}`), { repository: "ghcr.io/acme/api", digest: d });
    assert.deepEqual(parseDigestRef(`localhost:5000/api:1.2@${d}`), {
        repository: "localhost:5000/api",
        digest: d,
    });
    assert.throws(
        () => parseDigestRef("ghcr.io/acme/api:latest"),
        /^Error: SD-004: image reference ghcr\.io\/acme\/api:latest is not pinned by digest.*\(see docs\/failures\.md#sd-004\)$/,
    );
});

test("the build tag follows the context's content", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
    const a = contextTag(dir);
    assert.match(a, /^src-[0-9a-f]{12}$/);
    assert.equal(contextTag(dir), a);
    fs.writeFileSync(path.join(dir, "app.txt"), "v2");
    assert.notEqual(contextTag(dir), a);
    assert.throws(() => contextTag(path.join(dir, "missing")), /does not exist/);
});

test("subnets: public first, private from the second half, two AZs", () => {
    assert.deepEqual(subnetPlan("10.20.0.0/16"), {
        public: ["10.20.0.0/20", "10.20.16.0/20"],
        private: ["10.20.128.0/20", "10.20.144.0/20"],
    });
    assert.deepEqual(subnetPlan("10.0.0.0/24"), {
        public: ["10.0.0.0/28", "10.0.0.16/28"],
        private: ["10.0.0.128/28", "10.0.0.144/28"],
    });
    assert.equal(subnetCidr("192.168.0.0/16", 24, 255), "192.168.255.0/24");
    assert.throws(() => subnetCidr("10.0.0.0/16", 20, 16), /no room/);
});

test("RDS instance memory and PostgreSQL's default max_connections", () => {
    const table: [string, number | undefined, number | undefined][] = [
        ["db.t4g.micro", 1, 112],
        ["db.t4g.medium", 4, 450],
        ["db.m6g.large", 8, 901],
        ["db.r6g.large", 16, 1802],
        ["db.r6g.xlarge", 32, 3604],
        ["db.r6g.2xlarge", 64, 5000],
        ["db.z1d.large", undefined, undefined],
    ];
    for (const [cls, gib, max] of table) {
        assert.equal(instanceMemoryGiB(cls), gib, cls);
        assert.equal(postgresMaxConnections(cls), max, cls);
    }
    assert.equal(parameterFamily("16"), "postgres16");
    assert.equal(parameterFamily("15.7"), "postgres15");
});

test("database alarm thresholds in the metrics' units", () => {
    assert.deepEqual(
        databaseAlarmThresholds({
            instanceClass: "db.r6g.xlarge",
            allocatedStorageGiB: 100,
            freeStoragePercent: 10,
            connectionsPercent: 80,
        }),
        { freeStorageBytes: 10737418240, connections: 2883 },
    );
    assert.deepEqual(
        databaseAlarmThresholds({
            instanceClass: "db.unknown.large",
            allocatedStorageGiB: 20,
            freeStoragePercent: 10,
            connectionsPercent: 80,
        }),
        { freeStorageBytes: 2147483648, connections: 89 },
    );
});

test("service alarm specs convert milliseconds to the seconds CloudWatch uses", () => {
    const s = serviceAlarmSpecs({
        errorRatePercent: 5,
        errorRateMinutes: 5,
        p95LatencyMs: 500,
        p95LatencyMinutes: 10,
        cpuPercent: 80,
        memoryPercent: 85,
        rollbackErrorRatePercent: 10,
        rollbackErrorRateMinutes: 5,
        rollbackP95LatencyMs: 1000,
        rollbackP95LatencyMinutes: 10,
    });
    assert.deepEqual(s.p95, { seconds: 0.5, minutes: 10 });
    assert.deepEqual(s.rollbackP95, { seconds: 1, minutes: 10 });
    assert.deepEqual(s.rollbackErrorRate, { percent: 10, minutes: 5 });
});

test("ECS mappings: architecture, CPU units, sorted environment, JSON-key valueFrom, recovery window", () => {
    assert.equal(ecsCpuArchitecture("arm64"), "ARM64");
    assert.equal(ecsCpuArchitecture("amd64"), "X86_64");
    assert.deepEqual([0.25, 0.5, 1, 2, 4].map(fargateCpuUnits), ["256", "512", "1024", "2048", "4096"]);
    assert.deepEqual(ecsEnvironment({ B: "2", A: "1" }), [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
    ]);
    assert.equal(
        jsonKeyValueFrom("arn:aws:secretsmanager:r:1:secret:x-AbC", "DATABASE_URL", "v-1"),
        "arn:aws:secretsmanager:r:1:secret:x-AbC:DATABASE_URL::v-1",
    );
    assert.equal(recoveryWindowDays(true), 30);
    assert.equal(recoveryWindowDays(false), 7);
    assert.equal(
        ecrRegistryId("123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api@sha256:x"),
        "123456789012",
    );
    assert.equal(ecrRegistryId("ghcr.io/acme/api@sha256:x"), undefined);
});
