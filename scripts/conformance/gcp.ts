/**
 * Google Cloud conformance: the Cloud Run, Cloud SQL, Secret Manager and Monitoring resources of
 * the offline graph checked against Google's published rules, recorded in rules/gcp.json (field
 * names from @googleapis/run, @googleapis/sqladmin and @googleapis/secretmanager, versions in the
 * file; enums and limits from Google's REST references and Cloud Run's docs, each with its page;
 * regenerate with rules/gcp-extract.ts).
 *
 * The provider's input names are mapped to the API's (`traffics` -> `traffic`, `envs` -> `env`,
 * `diskSize` -> `dataDiskSizeGb`); inputs the provider keeps to itself (`project`, `location`,
 * `deletionProtection`) are not sent and not checked.
 */
import type { RecordedResource } from "../offline";
import { unwrap } from "../offline";
import type { Checker, Finding } from "./index";
import rules from "./rules/gcp.json";
import { checkCustomAudiences, checkServiceAccount } from "./gcp-iam";

const CLOUD = "Google Cloud" as const;

/** Provider-only inputs per resource type: never part of the API request. */
const PROVIDER_ONLY: Record<string, string[]> = {
    "gcp:cloudrunv2/service:Service": ["project", "location", "deletionProtection"],
    "gcp:sql/databaseInstance:DatabaseInstance": ["project", "region", "deletionProtection"],
};

/** Provider input name -> API field name, per API schema. */
const RENAMES: Record<string, Record<string, string>> = {
    Service: { traffics: "traffic" },
    Container: { envs: "env" },
    Replication: { auto: "automatic" },
    Settings: {
        diskSize: "dataDiskSizeGb",
        diskType: "dataDiskType",
        diskAutoresize: "storageAutoResize",
        diskAutoresizeLimit: "storageAutoResizeLimit",
    },
};

type Report = (field: string, value: unknown, rule: string) => void;

function reporter(out: Finding[], r: RecordedResource, operation: string): Report {
    return (field, value, rule) =>
        out.push({ cloud: CLOUD, urn: r.urn, type: r.type, operation, field, value, rule });
}

/** Every member of `obj` must be a field of the API schema `schema`. */
function fields(
    report: Report,
    api: { fields: Record<string, string[]>; source: string },
    schema: string,
    obj: unknown,
    at: string,
    skip: string[] = [],
): void {
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return;
    const known = api.fields[schema];
    for (const k of Object.keys(obj)) {
        if (skip.includes(k) || (obj as Record<string, unknown>)[k] === undefined) continue;
        const name = RENAMES[schema]?.[k] ?? k;
        if (!known.includes(name))
            report(
                `${at}${at ? "." : ""}${k}`,
                (obj as Record<string, unknown>)[k],
                `${schema} has no field "${name}" (${api.source})`,
            );
    }
}

function oneOf(
    report: Report,
    values: string[],
    value: unknown,
    field: string,
    what: string,
    source: string,
) {
    if (value !== undefined && !values.includes(String(value)))
        report(field, value, `${what} must be one of ${values.join(", ")} (${source})`);
}

const RFC1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function checkCloudRun(r: RecordedResource, report: Report): void {
    const run = rules.run;
    const s = unwrap(r.inputs) as Record<string, any>;
    fields(report, run, "Service", s, "", PROVIDER_ONLY[r.type]);
    oneOf(report, run.enums.ingress, s.ingress, "ingress", "ingress", run.enumsSource);
    fields(report, run, "ServiceScaling", s.scaling, "scaling");
    checkCustomAudiences(s.customAudiences, report);
    const t = s.template ?? {};
    fields(report, run, "RevisionTemplate", t, "template");
    fields(report, run, "RevisionScaling", t.scaling, "template.scaling");
    fields(report, run, "VpcAccess", t.vpcAccess, "template.vpcAccess");
    oneOf(
        report,
        run.enums.vpcEgress,
        t.vpcAccess?.egress,
        "template.vpcAccess.egress",
        "egress",
        run.enumsSource,
    );
    (t.vpcAccess?.networkInterfaces ?? []).forEach((n: unknown, i: number) => {
        fields(report, run, "NetworkInterface", n, `template.vpcAccess.networkInterfaces[${i}]`);
    });
    (t.volumes ?? []).forEach((v: any, i: number) => {
        fields(report, run, "Volume", v, `template.volumes[${i}]`);
        fields(
            report,
            run,
            "CloudSqlInstance",
            v.cloudSqlInstance,
            `template.volumes[${i}].cloudSqlInstance`,
        );
    });
    const service = String(s.name ?? "");
    if (typeof t.revision === "string") {
        if (!t.revision.startsWith(`${service}-`))
            report(
                "template.revision",
                t.revision,
                `a revision name starts with the service name and a dash (${run.limitsSource})`,
            );
        if (t.revision.length > run.limits.revisionNameMax || !RFC1035.test(t.revision))
            report(
                "template.revision",
                t.revision,
                `a revision name is a DNS label of at most ${run.limits.revisionNameMax} characters (a-z, 0-9, -)`,
            );
    }
    (t.containers ?? []).forEach((c: any, i: number) => {
        const at = `template.containers[${i}]`;
        fields(report, run, "Container", c, at);
        fields(report, run, "ResourceRequirements", c.resources, `${at}.resources`);
        fields(report, run, "VolumeMount", c.volumeMounts?.[0], `${at}.volumeMounts[0]`);
        const envs: any[] = c.envs ?? [];
        if (envs.length > run.limits.envMax)
            report(`${at}.envs`, envs.length, `at most ${run.limits.envMax} env variables per container`);
        envs.forEach((e, j) => {
            fields(report, run, "EnvVar", e, `${at}.envs[${j}]`);
            fields(report, run, "EnvVarSource", e.valueSource, `${at}.envs[${j}].valueSource`);
            fields(
                report,
                run,
                "SecretKeySelector",
                e.valueSource?.secretKeyRef,
                `${at}.envs[${j}].valueSource.secretKeyRef`,
            );
            if (run.reservedEnv.includes(e.name))
                report(
                    `${at}.envs[${j}].name`,
                    e.name,
                    `reserved env name: Cloud Run sets ${run.reservedEnv.join(", ")} itself and refuses a revision that sets them (${run.reservedEnvSource})`,
                );
        });
        for (const [probe, startup] of [
            ["startupProbe", true],
            ["livenessProbe", false],
        ] as const) {
            const p = c[probe];
            if (!p) continue;
            const pat = `${at}.${probe}`;
            fields(report, run, "Probe", p, pat);
            fields(report, run, "HTTPGetAction", p.httpGet, `${pat}.httpGet`);
            const period = p.periodSeconds ?? 10;
            const maxPeriod = startup
                ? run.limits.startupProbePeriodMaxSeconds
                : run.limits.livenessProbePeriodMaxSeconds;
            if (period > maxPeriod)
                report(`${pat}.periodSeconds`, period, `at most ${maxPeriod} s (${run.source} Probe)`);
            if (startup && (p.initialDelaySeconds ?? 0) > run.limits.startupProbeInitialDelayMaxSeconds)
                report(
                    `${pat}.initialDelaySeconds`,
                    p.initialDelaySeconds,
                    `at most ${run.limits.startupProbeInitialDelayMaxSeconds} s for a startup probe (${run.source} Probe)`,
                );
            if ((p.timeoutSeconds ?? 1) > period)
                report(
                    `${pat}.timeoutSeconds`,
                    p.timeoutSeconds,
                    `periodSeconds must be greater or equal than timeout_seconds (${run.source} Probe)`,
                );
            const window = (p.failureThreshold ?? 3) * period;
            if (startup && window > run.limits.startupProbeWindowMaxSeconds)
                report(
                    `${pat}.failureThreshold`,
                    p.failureThreshold,
                    `failureThreshold x periodSeconds = ${window} s; a startup probe gets at most ${run.limits.startupProbeWindowMaxSeconds} s (${run.limitsSource})`,
                );
        }
    });
    const traffic: any[] = s.traffics ?? [];
    if (traffic.length > 0) {
        const total = traffic.reduce((n, x) => n + (x.percent ?? 0), 0);
        if (total !== 100) report("traffics", total, "traffic percents must add up to 100");
    }
    traffic.forEach((x, i) => {
        fields(report, run, "TrafficTarget", x, `traffics[${i}]`);
        oneOf(report, run.enums.trafficType, x.type, `traffics[${i}].type`, "type", run.enumsSource);
        if (x.tag === undefined) return;
        const tag = String(x.tag);
        if (tag.length < run.limits.tagMinLength || !RFC1035.test(tag))
            report(
                `traffics[${i}].tag`,
                tag,
                `a tag is at least ${run.limits.tagMinLength} characters, a-z, 0-9 and -, starting with a letter`,
            );
        if (tag.length + service.length > run.limits.serviceNamePlusTagMax)
            report(
                `traffics[${i}].tag`,
                tag,
                `Combined traffic tag and service name cannot exceed ${run.limits.serviceNamePlusTagMax} characters (${tag.length} + ${service.length})`,
            );
    });
}

function checkCloudSql(r: RecordedResource, report: Report): void {
    const sql = rules.sqladmin;
    const i = unwrap(r.inputs) as Record<string, any>;
    fields(report, sql, "DatabaseInstance", i, "", PROVIDER_ONLY[r.type]);
    const s = i.settings ?? {};
    fields(report, sql, "Settings", s, "settings");
    oneOf(
        report,
        sql.enums.availabilityType,
        s.availabilityType,
        "settings.availabilityType",
        "availabilityType",
        sql.enumsSource,
    );
    oneOf(report, sql.enums.edition, s.edition, "settings.edition", "edition", sql.enumsSource);
    oneOf(report, sql.enums.dataDiskType, s.diskType, "settings.diskType", "dataDiskType", sql.enumsSource);
    oneOf(
        report,
        sql.enums.updateTrack,
        s.maintenanceWindow?.updateTrack,
        "settings.maintenanceWindow.updateTrack",
        "updateTrack",
        sql.enumsSource,
    );
    fields(report, sql, "MaintenanceWindow", s.maintenanceWindow, "settings.maintenanceWindow");
    fields(report, sql, "IpConfiguration", s.ipConfiguration, "settings.ipConfiguration");
    oneOf(
        report,
        sql.enums.sslMode,
        s.ipConfiguration?.sslMode,
        "settings.ipConfiguration.sslMode",
        "sslMode",
        sql.enumsSource,
    );
    fields(report, sql, "InsightsConfig", s.insightsConfig, "settings.insightsConfig");
    (s.databaseFlags ?? []).forEach((f: unknown, n: number) => {
        fields(report, sql, "DatabaseFlags", f, `settings.databaseFlags[${n}]`);
    });
    const b = s.backupConfiguration;
    if (!b) return;
    fields(report, sql, "BackupConfiguration", b, "settings.backupConfiguration");
    fields(
        report,
        sql,
        "BackupRetentionSettings",
        b.backupRetentionSettings,
        "settings.backupConfiguration.backupRetentionSettings",
    );
    oneOf(
        report,
        sql.enums.retentionUnit,
        b.backupRetentionSettings?.retentionUnit,
        "settings.backupConfiguration.backupRetentionSettings.retentionUnit",
        "retentionUnit",
        sql.enumsSource,
    );
    const logs = b.transactionLogRetentionDays;
    const backups = b.backupRetentionSettings?.retainedBackups;
    const l = sql.limits;
    if (
        logs !== undefined &&
        (logs < l.transactionLogRetentionDaysMin || logs > l.transactionLogRetentionDaysMax)
    )
        report(
            "settings.backupConfiguration.transactionLogRetentionDays",
            logs,
            `${l.transactionLogRetentionDaysMin}-${l.transactionLogRetentionDaysMax} days (${sql.limitsSource})`,
        );
    if (backups !== undefined && (backups < l.retainedBackupsMin || backups > l.retainedBackupsMax))
        report(
            "settings.backupConfiguration.backupRetentionSettings.retainedBackups",
            backups,
            `${l.retainedBackupsMin}-${l.retainedBackupsMax} (${sql.limitsSource})`,
        );
    if (logs !== undefined && backups !== undefined && logs >= backups)
        report(
            "settings.backupConfiguration.transactionLogRetentionDays",
            logs,
            `point-in-time recovery logs must be kept for fewer days than the retained backups (${backups}) (${sql.limitsSource})`,
        );
}

function checkSecret(r: RecordedResource, report: Report): void {
    const sm = rules.secretmanager;
    const i = unwrap(r.inputs) as Record<string, any>;
    if (i.secretId !== undefined && !new RegExp(sm.limits.secretIdPattern).test(String(i.secretId)))
        report("secretId", i.secretId, `must match ${sm.limits.secretIdPattern} (${sm.limitsSource})`);
    fields(report, sm, "Secret", i, "", ["project", "secretId", "replication", "deletionProtection"]);
    fields(report, sm, "Replication", i.replication, "replication");
}

const seconds = (d: unknown) => Number(/^([0-9]+(?:\.[0-9]+)?)s$/.exec(String(d))?.[1] ?? Number.NaN);

function checkAlertPolicy(r: RecordedResource, report: Report): void {
    const m = rules.monitoring;
    const api = { fields: m.fields, source: m.source };
    const p = unwrap(r.inputs) as Record<string, any>;
    fields(report, api, "AlertPolicy", p, "", ["project"]);
    oneOf(report, m.enums.combiner, p.combiner, "combiner", "combiner", m.source);
    (p.conditions ?? []).forEach((c: any, i: number) => {
        const at = `conditions[${i}]`;
        fields(report, api, "Condition", c, at);
        const t = c.conditionThreshold;
        if (!t) return;
        fields(report, api, "MetricThreshold", t, `${at}.conditionThreshold`);
        oneOf(
            report,
            m.enums.comparison,
            t.comparison,
            `${at}.conditionThreshold.comparison`,
            "comparison",
            m.source,
        );
        oneOf(
            report,
            m.enums.evaluationMissingData,
            t.evaluationMissingData,
            `${at}.conditionThreshold.evaluationMissingData`,
            "evaluationMissingData",
            m.source,
        );
        if (t.duration !== undefined && !new RegExp(m.durationPattern).test(String(t.duration)))
            report(
                `${at}.conditionThreshold.duration`,
                t.duration,
                `a duration is "<seconds>s" (${m.source})`,
            );
        for (const key of ["aggregations", "denominatorAggregations"] as const)
            (t[key] ?? []).forEach((a: any, j: number) => {
                const aat = `${at}.conditionThreshold.${key}[${j}]`;
                fields(report, api, "Aggregation", a, aat);
                oneOf(
                    report,
                    m.enums.perSeriesAligner,
                    a.perSeriesAligner,
                    `${aat}.perSeriesAligner`,
                    "perSeriesAligner",
                    m.source,
                );
                oneOf(
                    report,
                    m.enums.crossSeriesReducer,
                    a.crossSeriesReducer,
                    `${aat}.crossSeriesReducer`,
                    "crossSeriesReducer",
                    m.source,
                );
                const period = seconds(a.alignmentPeriod);
                if (a.alignmentPeriod !== undefined && !(period >= m.alignmentPeriodMinSeconds))
                    report(
                        `${aat}.alignmentPeriod`,
                        a.alignmentPeriod,
                        `at least ${m.alignmentPeriodMinSeconds}s for an alerting condition (${m.source})`,
                    );
            });
    });
}

const CHECKS: Record<string, { operation: string; check: (r: RecordedResource, report: Report) => void }> = {
    "gcp:cloudrunv2/service:Service": {
        operation: "projects.locations.services.create",
        check: checkCloudRun,
    },
    "gcp:sql/databaseInstance:DatabaseInstance": { operation: "sql.instances.insert", check: checkCloudSql },
    "gcp:secretmanager/secret:Secret": { operation: "projects.secrets.create", check: checkSecret },
    "gcp:serviceaccount/account:Account": {
        operation: "projects.serviceAccounts.create",
        check: checkServiceAccount,
    },
    "gcp:monitoring/alertPolicy:AlertPolicy": {
        operation: "projects.alertPolicies.create",
        check: checkAlertPolicy,
    },
};

export const gcpChecker: Checker = (resources) => {
    const out: Finding[] = [];
    for (const r of resources) {
        const c = CHECKS[r.type];
        if (c) c.check(r, reporter(out, r, c.operation));
    }
    return out;
};
