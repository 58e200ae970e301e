/**
 * Assertions every committed GCP stack must pass, run once per stack file by gcp-staging.test.ts
 * and gcp-production.test.ts (one stack per process).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as YAML from "yaml";
import { graphOf, type Graph } from "./mocks";
import rules from "../scripts/conformance/rules/gcp.json";
import { revisionName, templateHash } from "../components/gcp/cloud-run-service";
import { requiredApis } from "../components/gcp/apis";
import { gcpReleaseStepSuite } from "./gcp-suite-release";

export interface GcpExpectations {
    stack: string;
    production: boolean;
    connection: "unix-socket" | "private-ip";
    availability: "ZONAL" | "REGIONAL";
    minInstances: number;
}

export function gcpStackSuite(e: GcpExpectations): void {
    let g: Graph;
    const file = YAML.parse(fs.readFileSync(`Pulumi.${e.stack}.yaml`, "utf8")).config;
    const svcCfg = file["service-deploy:services"][0];
    const project = file["gcp:project"];
    const graph = async () => (g ??= await graphOf(e.stack));
    const run = async () => (await graph()).inputs((await graph()).one("gcp:cloudrunv2/service:Service"));
    const container = async () => (await run()).template.containers[0];

    test(`${e.stack}: startup probe GETs readiness and liveness GETs liveness, with the configured thresholds`, async () => {
        const c = await container();
        assert.deepEqual(c.startupProbe, {
            httpGet: { path: "/readiness", port: 8080 },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 24,
            initialDelaySeconds: 0,
        });
        assert.deepEqual(c.livenessProbe, {
            httpGet: { path: "/liveness", port: 8080 },
            periodSeconds: 15,
            timeoutSeconds: 3,
            failureThreshold: 3,
            initialDelaySeconds: 0,
        });
        assert.equal(c.startupProbe.tcpSocket, undefined);
    });

    test(`${e.stack}: secrets come from Secret Manager at pinned versions, never latest, in the contract's names`, async () => {
        const c = await container();
        const secretEnvs = c.envs.filter((x: any) => x.valueSource);
        assert.deepEqual(secretEnvs.map((x: any) => x.name).sort(), [
            "DATABASE_URL",
            "SESSION_SECRET",
            "STRIPE_API_KEY",
        ]);
        for (const x of secretEnvs) {
            assert.equal(x.valueSource.secretKeyRef.version, "1");
            assert.equal(
                x.valueSource.secretKeyRef.secret,
                `${e.stack}-api-${x.name.toLowerCase().replace(/_/g, "-")}`,
            );
            assert.equal(x.value, undefined);
        }
        const plain = Object.fromEntries(
            c.envs.filter((x: any) => !x.valueSource).map((x: any) => [x.name, x.value]),
        );
        assert.deepEqual(plain, {
            APP_ENV: file["service-deploy:environment"],
            LOG_LEVEL: svcCfg.env.LOG_LEVEL.value,
        });
    });

    test(`${e.stack}: the revision sets none of the env names Cloud Run reserves; the contract's PORT is the container port`, async () => {
        const c = await container();
        assert.deepEqual(rules.run.reservedEnv, ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"]);
        assert.deepEqual(
            c.envs.map((x: any) => x.name).filter((n: string) => rules.run.reservedEnv.includes(n)),
            [],
        );
        assert.deepEqual(svcCfg.env.PORT, { from: "service.port" });
        assert.deepEqual(c.ports, { containerPort: svcCfg.port });
    });

    test(`${e.stack}: every secret version is kept when replaced, so a rolled-back revision still reads its pinned one`, async () => {
        const g = await graph();
        const versions = g.all("gcp:secretmanager/secretVersion:SecretVersion").map((v) => g.inputs(v));
        assert.equal(versions.length, 4);
        assert.deepEqual(
            versions.map((v) => v.deletionPolicy),
            versions.map(() => "ABANDON"),
        );
        for (const c of g.all("gcp:servicenetworking/connection:Connection"))
            assert.equal(g.inputs(c).deletionPolicy, "ABANDON");
    });

    test(`${e.stack}: the revision name is the HMAC of the whole rendered template but its name`, async () => {
        const g = await graph();
        const r = await run();
        const key = g.one("random:index/randomPassword:RandomPassword", "gcp-api-revision-key").state
            .result as string;
        const digest = svcCfg.image.ref.split("@")[1];
        assert.equal(r.template.revision, revisionName("api", digest, templateHash(key, r.template)));
        for (const change of [
            (t: any) => (t.serviceAccount = "other@example.iam.gserviceaccount.com"),
            (t: any) => (t.labels.team = "payments"),
            (t: any) => (t.containers[0].resources.startupCpuBoost = false),
            (t: any) => (t.vpcAccess = { ...t.vpcAccess, egress: "ALL_TRAFFIC" }),
            (t: any) => (t.volumes = [{ name: "cloudsql", cloudSqlInstance: { instances: ["p:r:other"] } }]),
            (t: any) => (t.executionEnvironment = "EXECUTION_ENVIRONMENT_GEN2"),
        ]) {
            const t = structuredClone(r.template);
            change(t);
            assert.notEqual(templateHash(key, t), templateHash(key, r.template), String(change));
        }
        assert.equal(templateHash(key, { ...r.template, revision: "x" }), templateHash(key, r.template));
    });

    test(`${e.stack}: the APIs are enabled, kept on destroy, and every Google resource waits on them`, async () => {
        const g = await graph();
        const apis = g.all("gcp:projects/service:Service");
        assert.deepEqual(
            apis.map((a) => g.inputs(a).service).sort(),
            requiredApis({
                database: true,
                privateServiceAccess: !!file["service-deploy:gcp"].createPrivateServiceAccess,
                vpc: true,
            }),
        );
        for (const a of apis) assert.equal(g.inputs(a).disableOnDestroy, false);
        for (const api of ["run", "sqladmin", "secretmanager", "artifactregistry", "monitoring", "iam"])
            assert.ok(
                apis.some((a) => g.inputs(a).service === `${api}.googleapis.com`),
                api,
            );
        const urns = apis.map((a) => a.urn);
        const waiting = g.result.resources.filter(
            (r) => r.type.startsWith("gcp:") && r.type !== "gcp:projects/service:Service",
        );
        assert.ok(waiting.length > 20);
        for (const r of waiting)
            assert.deepEqual(
                urns.filter((u) => !r.dependencies.includes(u)),
                [],
                `${r.name} waits on every API`,
            );
        const service = g.one("gcp:cloudrunv2/service:Service");
        for (const t of ["gcp:secretmanager/secretIamMember:SecretIamMember", "gcp:sql/user:User"])
            for (const dep of g.all(t))
                assert.ok(service.dependencies.includes(dep.urn), `the service waits on ${dep.name}`);
    });

    test(`${e.stack}: the service account may read only its own secrets, and connect to Cloud SQL`, async () => {
        const g = await graph();
        const sa = g.inputs(g.one("gcp:serviceaccount/account:Account"));
        const member = `serviceAccount:${sa.accountId}@${project}.iam.gserviceaccount.com`;
        const readers = g.all("gcp:secretmanager/secretIamMember:SecretIamMember").map((r) => g.inputs(r));
        assert.deepEqual(
            readers.map((r) => [r.secretId, r.role, r.member]).sort(),
            ["database-url", "session-secret", "stripe-api-key"]
                .map((s) => [`${e.stack}-api-${s}`, "roles/secretmanager.secretAccessor", member])
                .sort(),
        );
        const projectRoles = g.all("gcp:projects/iAMMember:IAMMember").map((r) => g.inputs(r));
        assert.deepEqual(
            projectRoles.map((r) => [r.role, r.member]),
            [["roles/cloudsql.client", member]],
        );
        assert.equal(
            (await run()).template.serviceAccount,
            `${sa.accountId}@${project}.iam.gserviceaccount.com`,
        );
    });

    test(`${e.stack}: Cloud SQL is ${e.availability}, backed up with PITR, private-IP only, TLS required`, async () => {
        const g = await graph();
        const sql = g.inputs(g.one("gcp:sql/databaseInstance:DatabaseInstance"));
        assert.equal(sql.databaseVersion, "POSTGRES_16");
        assert.equal(sql.settings.availabilityType, e.availability);
        assert.equal(sql.settings.backupConfiguration.enabled, true);
        assert.equal(sql.settings.backupConfiguration.pointInTimeRecoveryEnabled, true);
        assert.equal(
            sql.settings.backupConfiguration.backupRetentionSettings.retainedBackups,
            file["service-deploy:database"].backupRetentionDays,
        );
        const logDays = sql.settings.backupConfiguration.transactionLogRetentionDays;
        assert.ok(logDays >= 1 && logDays <= 7, `${logDays}`);
        assert.ok(
            logDays < file["service-deploy:database"].backupRetentionDays,
            "PITR logs below the backups",
        );
        assert.equal(sql.settings.ipConfiguration.ipv4Enabled, false);
        assert.equal(sql.settings.ipConfiguration.sslMode, "ENCRYPTED_ONLY");
        assert.equal(sql.settings.ipConfiguration.privateNetwork, file["service-deploy:gcp"].network);
        assert.equal(sql.settings.ipConfiguration.authorizedNetworks, undefined);
        assert.deepEqual(sql.settings.maintenanceWindow, { day: 6, hour: 19, updateTrack: "stable" });
        assert.equal(sql.deletionProtection, e.production);
        assert.equal(sql.settings.tier, file["service-deploy:database"].tier);
        const user = g.redacted(g.one("gcp:sql/user:User"));
        assert.equal(user.password, "[secret]");
        assert.equal(
            g.inputs(
                g
                    .all("gcp:secretmanager/secret:Secret")
                    .find((s) => g.inputs(s).secretId === `${e.stack}-db-password`)!,
            ).secretId,
            `${e.stack}-db-password`,
        );
    });

    test(`${e.stack}: the database is reached through ${e.connection}, and DATABASE_URL agrees with it`, async () => {
        const g = await graph();
        const r = await run();
        // Private IP only: either path leaves the service through Direct VPC egress on the
        // instance's own network (the connector behind /cloudsql dials the private IP too).
        const sqlNetwork = g.inputs(g.one("gcp:sql/databaseInstance:DatabaseInstance")).settings
            .ipConfiguration.privateNetwork;
        assert.deepEqual(r.template.vpcAccess, {
            networkInterfaces: [{ network: sqlNetwork, subnetwork: file["service-deploy:gcp"].subnetwork }],
            egress: "PRIVATE_RANGES_ONLY",
        });
        assert.match(file["service-deploy:gcp"].subnetwork, /\/regions\/asia-east1\/subnetworks\//);
        const versions = g.all("gcp:secretmanager/secretVersion:SecretVersion").map((v) => g.inputs(v));
        const urlVersion = versions.find((v) => v.secret.includes("database-url"))!;
        const url = new URL(urlVersion.secretData);
        if (e.connection === "unix-socket") {
            assert.deepEqual(r.template.volumes, [
                {
                    name: "cloudsql",
                    cloudSqlInstance: { instances: [`${project}:asia-east1:gcp-sql-instance-1234567`] },
                },
            ]);
            assert.deepEqual(r.template.containers[0].volumeMounts, [
                { name: "cloudsql", mountPath: "/cloudsql" },
            ]);
            assert.equal(
                decodeURIComponent(url.hostname),
                `/cloudsql/${project}:asia-east1:gcp-sql-instance-1234567`,
            );
            assert.equal(url.searchParams.get("sslmode"), null, "the connector encrypts the socket path");
        } else {
            assert.equal(
                url.hostname,
                g.one("gcp:sql/databaseInstance:DatabaseInstance").state.privateIpAddress,
            );
            assert.equal(url.hostname, "10.20.0.3");
            assert.equal(url.searchParams.get("sslmode"), "require");
            assert.equal(r.template.volumes, undefined);
        }
        assert.equal(url.pathname, "/app");
        assert.equal(url.username, "app");
    });

    test(`${e.stack}: scaling, ingress and invoker come from config; production keeps a warm instance`, async () => {
        const g = await graph();
        const r = await run();
        // The floor on the service (shared by what serves traffic), the ceiling per revision.
        assert.deepEqual(r.scaling, { minInstanceCount: e.minInstances });
        assert.deepEqual(r.template.scaling, { maxInstanceCount: svcCfg.cloudRun.maxInstances });
        assert.equal(r.template.containers[0].resources.cpuIdle, true);
        assert.equal(r.template.maxInstanceRequestConcurrency, 80);
        assert.equal(r.ingress, "INGRESS_TRAFFIC_ALL");
        assert.equal(r.deletionProtection, e.production);
        assert.deepEqual(r.template.containers[0].resources.limits, {
            cpu: "1",
            memory: `${svcCfg.memoryMiB}Mi`,
        });
        const invoker = g.all("gcp:cloudrunv2/serviceIamMember:ServiceIamMember").map((x) => g.inputs(x));
        assert.deepEqual(
            invoker.map((i) => [i.role, i.member]),
            [["roles/run.invoker", "allUsers"]],
        );
        assert.equal(r.labels["image-platforms"], "linux-amd64_linux-arm64");
    });

    test(`${e.stack}: traffic lists every revision by its digest-and-config name, each tagged, none LATEST`, async () => {
        const r = await run();
        const digest = svcCfg.image.ref.split("@")[1].slice(7, 19);
        assert.match(r.template.revision, new RegExp(`^api-${digest}-[0-9a-f]{6}$`));
        const expected = [
            {
                type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                revision: r.template.revision,
                percent: svcCfg.cloudRun.traffic.percent,
                tag: `rev-${r.template.revision.slice(4)}`,
            },
        ];
        const previous = svcCfg.cloudRun.traffic.previous;
        if (previous)
            expected.push({
                type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                revision: previous,
                percent: 100 - svcCfg.cloudRun.traffic.percent,
                tag: `rev-${previous.slice(4)}`,
            });
        assert.deepEqual(r.traffics, expected);
    });

    test(`${e.stack}: alerts on 5xx ratio, p95, instances at max, uptime of /health and the database, all notifying`, async () => {
        const g = await graph();
        const policies = g.all("gcp:monitoring/alertPolicy:AlertPolicy").map((p) => g.inputs(p));
        assert.equal(policies.length, 6);
        const channels = g
            .all("gcp:monitoring/notificationChannel:NotificationChannel")
            .map((c) => g.inputs(c));
        // E-mail channels, then one per notifications destination (Slack: the slack channel type).
        assert.deepEqual(
            channels.map((c) => [c.type, c.labels?.email_address ?? c.labels?.channel_name]),
            [
                ...file["service-deploy:alarms"].emails.map((m: string) => ["email", m]),
                ...(file["service-deploy:notifications"]?.destinations ?? []).map(
                    (d: { type: string; address?: string; channel?: string }) => [
                        d.type,
                        d.address ?? d.channel,
                    ],
                ),
            ],
        );
        for (const p of policies) assert.equal(p.notificationChannels.length, channels.length);
        const byName = (s: string) =>
            policies.find((p) => p.displayName.includes(s))!.conditions[0].conditionThreshold;
        assert.equal(byName("5xx above 5%").thresholdValue, 0.05);
        assert.equal(byName("5xx above 5%").duration, "300s");
        assert.match(byName("5xx above 5%").filter, /response_code_class = "5xx"/);
        // Per revision: a canary's errors are not averaged away by the revision serving the rest.
        for (const c of [byName("5xx above 5%"), byName("p95 latency above 500 ms")]) {
            for (const a of [...c.aggregations, ...(c.denominatorAggregations ?? [])])
                assert.deepEqual(a.groupByFields, ["resource.label.revision_name"]);
            assert.equal(c.evaluationMissingData, "EVALUATION_MISSING_DATA_INACTIVE");
            assert.ok(Number.parseInt(c.duration, 10) >= 300, "longer than a smoke run");
        }
        assert.equal(byName("p95 latency above 500 ms").thresholdValue, 500);
        assert.equal(byName("p95 latency above 500 ms").duration, "600s");
        assert.match(byName("maximum of").filter, /container\/instance_count/);
        assert.match(byName("database CPU").filter, /cloudsql\.googleapis\.com\/database\/cpu\/utilization/);
        assert.equal(byName("database disk").thresholdValue, 0.9);
        const uptime = g.inputs(g.one("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"));
        assert.equal(uptime.httpCheck.path, "/health");
        assert.equal(uptime.monitoredResource.labels.host, "api-abc123xyz-de.a.run.app");
        assert.match(byName("/health failing").filter, /check_id = "gcp-api-alerts-uptime-check"/);
    });

    test(`${e.stack}: no secret value appears in any plain input or output; outputs name the service, tags, revision, digest, database`, async () => {
        const g = await graph();
        const plain =
            JSON.stringify(g.result.resources.map((r) => g.redacted(r))) + JSON.stringify(g.result.outputs);
        assert.deepEqual(
            g.result.secretValues.filter((s) => plain.includes(s)),
            [],
        );
        assert.ok(g.result.secretValues.length >= 3);
        const out = (g.result.outputs.services as any).api;
        assert.equal(out.url, "https://api-abc123xyz-de.a.run.app");
        assert.match(out.servingRevision, /^api-[0-9a-f]{12}-[0-9a-f]{6}$/);
        assert.match(out.digest, /^sha256:[0-9a-f]{64}$/);
        assert.ok(
            Object.values(out.tagUrls as Record<string, string>).every((u) =>
                /^https:\/\/rev-[0-9a-f]{12}-[0-9a-f]{6}---api-/.test(u),
            ),
        );
        assert.match(
            g.result.outputs.databaseConnectionName as string,
            new RegExp(`^${project}:asia-east1:`),
        );
        assert.equal(g.all("docker-build:index:Image").length, 0, "a pinned image builds nothing");
        // The repository exists for ref stacks too, so switching to build finds it managed.
        const repo = g.inputs(g.one("gcp:artifactregistry/repository:Repository"));
        assert.equal(repo.repositoryId, file["service-deploy:gcp"].artifactRepository);
        assert.deepEqual(
            repo.cleanupPolicies.map((p: any) => p.action),
            ["KEEP", "DELETE"],
        );
    });

    gcpReleaseStepSuite(e.stack, graph);
}
