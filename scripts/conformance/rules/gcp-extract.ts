/**
 * Regenerates scripts/conformance/rules/gcp.json, the recorded extract of Google's published
 * rules the Google Cloud checker (scripts/conformance/gcp.ts) and the config parser read:
 *
 * - field names of the request bodies, from the generated API types of the installed
 *   `@googleapis/run` (Cloud Run Admin API v2), `@googleapis/sqladmin` (v1beta4, the version the
 *   provider calls) and `@googleapis/secretmanager` (v1) packages, versions recorded;
 * - enums and limits those types leave as `string`/`number`, each with the Google page that
 *   documents it (the REST references and Cloud Run's container runtime contract), recorded below
 *   as `DOCUMENTED` with its source.
 *
 * Run: `node --import tsx scripts/conformance/rules/gcp-extract.ts` (writes the file, then
 * `npm run format`; `--check` exits 1 when the committed file differs from the packages).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";

const ROOT = path.resolve(__dirname, "../../..");
const OUT = path.join(__dirname, "gcp.json");

/** Which generated schemas each API's checker reads (the request bodies the provider sends). */
const SCHEMAS = {
    run: {
        pkg: "@googleapis/run",
        file: "v2.ts",
        prefix: "GoogleCloudRunV2",
        names: [
            "Service",
            "RevisionTemplate",
            "RevisionScaling",
            "ServiceScaling",
            "Container",
            "ContainerPort",
            "EnvVar",
            "EnvVarSource",
            "SecretKeySelector",
            "ResourceRequirements",
            "Probe",
            "HTTPGetAction",
            "VolumeMount",
            "Volume",
            "CloudSqlInstance",
            "VpcAccess",
            "NetworkInterface",
            "TrafficTarget",
        ],
    },
    sqladmin: {
        pkg: "@googleapis/sqladmin",
        file: "v1beta4.ts",
        prefix: "",
        names: [
            "DatabaseInstance",
            "Settings",
            "BackupConfiguration",
            "BackupRetentionSettings",
            "IpConfiguration",
            "MaintenanceWindow",
            "InsightsConfig",
            "DatabaseFlags",
            "Database",
            "User",
        ],
    },
    secretmanager: {
        pkg: "@googleapis/secretmanager",
        file: "v1.ts",
        prefix: "",
        names: ["Secret", "Replication", "Automatic", "SecretVersion", "SecretPayload"],
    },
} as const;

/**
 * What the generated types do not carry: enums and limits, from Google's own pages.
 * Each entry names its source; the checker prints the source with every finding.
 */
const DOCUMENTED = {
    run: {
        // https://cloud.google.com/run/docs/container-contract#env-vars and
        // https://cloud.google.com/run/docs/configuring/services/environment-variables ("Reserved
        // names: the environment variables defined in the container runtime contract are reserved
        // and cannot be set").
        reservedEnv: ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"],
        reservedEnvSource: "https://cloud.google.com/run/docs/container-contract#env-vars",
        limits: {
            // gcloud/API error: "Combined traffic tag and service name cannot exceed 46 characters."
            // https://cloud.google.com/run/docs/rollouts-rollbacks-traffic-migration#tags
            serviceNamePlusTagMax: 46,
            tagMinLength: 3,
            // Revision names: `<service>-<suffix>`, a DNS label (RFC 1123, at most 63).
            // https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services#RevisionTemplate
            revisionNameMax: 63,
            // Probe text in @googleapis/run v2 (GoogleCloudRunV2Probe): "Maximum value for startup
            // probe is 240. Must be greater or equal than timeout_seconds."
            startupProbePeriodMaxSeconds: 240,
            startupProbeInitialDelayMaxSeconds: 240,
            livenessProbePeriodMaxSeconds: 3600,
            // https://cloud.google.com/run/docs/configuring/healthchecks: a startup probe that does
            // not succeed within failureThreshold x periodSeconds (at most 240 s) shuts the
            // container down.
            startupProbeWindowMaxSeconds: 240,
            envMax: 1000,
            // @googleapis/run v2 GoogleCloudRunV2Service.customAudiences: "Specify each custom
            // audience as the full URL in a string" (https://cloud.google.com/run/docs/configuring/custom-audiences).
            customAudiencePattern: "^https?://[^\\s/]+(/\\S*)?$",
        },
        limitsSource: "https://cloud.google.com/run/docs/configuring/healthchecks",
        enums: {
            // https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services#ingresstraffic
            ingress: [
                "INGRESS_TRAFFIC_ALL",
                "INGRESS_TRAFFIC_INTERNAL_ONLY",
                "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
                "INGRESS_TRAFFIC_NONE",
            ],
            // #traffictargetallocationtype
            trafficType: ["TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"],
            // #vpcegress
            vpcEgress: ["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"],
        },
        enumsSource: "https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services",
    },
    sqladmin: {
        limits: {
            // https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr: transaction logs are
            // kept 1-7 days (Enterprise), and must be fewer days than the retained backups.
            transactionLogRetentionDaysMin: 1,
            transactionLogRetentionDaysMax: 7,
            retainedBackupsMin: 1,
            retainedBackupsMax: 365,
        },
        limitsSource: "https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr",
        enums: {
            // https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1beta4/instances
            availabilityType: ["ZONAL", "REGIONAL"],
            edition: ["ENTERPRISE", "ENTERPRISE_PLUS"],
            dataDiskType: ["PD_SSD", "PD_HDD"],
            sslMode: [
                "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                "ENCRYPTED_ONLY",
                "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
            ],
            retentionUnit: ["COUNT"],
            updateTrack: ["canary", "stable", "week5"],
        },
        enumsSource: "https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1beta4/instances",
    },
    secretmanager: {
        limits: {
            // https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets:
            // secretId "at most 255 characters", [a-zA-Z0-9_-].
            secretIdPattern: "^[a-zA-Z0-9_-]{1,255}$",
        },
        limitsSource: "https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets",
    },
    iam: {
        limits: {
            // IAM v1 Schema$CreateServiceAccountRequest.accountId: "must be 6-30 characters long,
            // and match the regular expression `[a-z]([-a-z0-9]*[a-z0-9])` to comply with RFC1035"
            // (googleapis/google-api-nodejs-client src/apis/iam/v1.ts at
            // 2de643a15ca7453484fa6466eccd28bc62d27135, published as @googleapis/iam; not installed).
            accountIdPattern: "^[a-z]([-a-z0-9]*[a-z0-9])$",
            accountIdMinLength: 6,
            accountIdMaxLength: 30,
        },
        limitsSource:
            "googleapis/google-api-nodejs-client src/apis/iam/v1.ts@2de643a15ca7453484fa6466eccd28bc62d27135 Schema$CreateServiceAccountRequest",
    },
    monitoring: {
        // Monitoring API v3, https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies
        // (no googleapis package is installed for it).
        fields: {
            AlertPolicy: [
                "displayName",
                "documentation",
                "userLabels",
                "conditions",
                "combiner",
                "enabled",
                "notificationChannels",
                "alertStrategy",
                "severity",
            ],
            Condition: ["displayName", "conditionThreshold", "conditionAbsent", "conditionMatchedLog"],
            MetricThreshold: [
                "filter",
                "aggregations",
                "denominatorFilter",
                "denominatorAggregations",
                "comparison",
                "thresholdValue",
                "duration",
                "trigger",
                "evaluationMissingData",
            ],
            Aggregation: ["alignmentPeriod", "perSeriesAligner", "crossSeriesReducer", "groupByFields"],
        },
        enums: {
            combiner: ["AND", "OR", "AND_WITH_MATCHING_RESOURCE"],
            evaluationMissingData: [
                "EVALUATION_MISSING_DATA_INACTIVE",
                "EVALUATION_MISSING_DATA_ACTIVE",
                "EVALUATION_MISSING_DATA_NO_OP",
            ],
            comparison: [
                "COMPARISON_GT",
                "COMPARISON_GE",
                "COMPARISON_LT",
                "COMPARISON_LE",
                "COMPARISON_EQ",
                "COMPARISON_NE",
            ],
            perSeriesAligner: [
                "ALIGN_NONE",
                "ALIGN_DELTA",
                "ALIGN_RATE",
                "ALIGN_INTERPOLATE",
                "ALIGN_NEXT_OLDER",
                "ALIGN_MIN",
                "ALIGN_MAX",
                "ALIGN_MEAN",
                "ALIGN_COUNT",
                "ALIGN_SUM",
                "ALIGN_STDDEV",
                "ALIGN_COUNT_TRUE",
                "ALIGN_COUNT_FALSE",
                "ALIGN_FRACTION_TRUE",
                "ALIGN_PERCENTILE_99",
                "ALIGN_PERCENTILE_95",
                "ALIGN_PERCENTILE_50",
                "ALIGN_PERCENTILE_05",
                "ALIGN_PERCENT_CHANGE",
            ],
            crossSeriesReducer: [
                "REDUCE_NONE",
                "REDUCE_MEAN",
                "REDUCE_MIN",
                "REDUCE_MAX",
                "REDUCE_SUM",
                "REDUCE_STDDEV",
                "REDUCE_COUNT",
                "REDUCE_COUNT_TRUE",
                "REDUCE_COUNT_FALSE",
                "REDUCE_FRACTION_TRUE",
                "REDUCE_PERCENTILE_99",
                "REDUCE_PERCENTILE_95",
                "REDUCE_PERCENTILE_50",
                "REDUCE_PERCENTILE_05",
            ],
        },
        // Durations are `<seconds>s`; alignment periods at least 60 s for alerting
        // (https://cloud.google.com/monitoring/alerts/concepts-indepth#max-alignment-period).
        durationPattern: "^[0-9]+(\\.[0-9]{1,9})?s$",
        alignmentPeriodMinSeconds: 60,
        source: "https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies",
    },
};

function fieldsOf(source: string, schema: string): string[] {
    const start = source.indexOf(`export interface Schema$${schema} {`);
    if (start < 0) throw new Error(`schema ${schema} not found`);
    const end = source.indexOf("\n  }", start);
    const body = source.slice(start, end);
    return [...body.matchAll(/^ {4}([A-Za-z0-9_]+)\?:/gm)].map((m) => m[1]).sort();
}

export function extract(): Record<string, any> {
    const apis: Record<string, unknown> = {};
    for (const [api, spec] of Object.entries(SCHEMAS)) {
        const dir = path.join(ROOT, "node_modules", spec.pkg);
        const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
        const source = fs.readFileSync(path.join(dir, spec.file), "utf8");
        const fields = Object.fromEntries(
            spec.names.map((n) => [n, fieldsOf(source, `${spec.prefix}${n}`)] as const),
        );
        apis[api] = {
            source: `${spec.pkg}@${version} ${spec.file}`,
            fields,
            ...(DOCUMENTED as Record<string, object>)[api],
        };
    }
    apis.iam = DOCUMENTED.iam;
    apis.monitoring = DOCUMENTED.monitoring;
    return apis;
}

if (require.main === module) {
    const text = `${JSON.stringify(extract(), null, 4)}\n`;
    if (process.argv.includes("--check")) {
        // Compared as data: the committed file is formatted by Biome (npm run format).
        const committed = JSON.parse(fs.readFileSync(OUT, "utf8"));
        if (!isDeepStrictEqual(committed, JSON.parse(text))) {
            process.stderr.write(
                `${path.relative(ROOT, OUT)} is stale: run node --import tsx ${path.relative(ROOT, __filename)}\n`,
            );
            process.exit(1);
        }
    } else fs.writeFileSync(OUT, text);
}
