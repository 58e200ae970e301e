/**
 * The Google Cloud conformance layer: the committed GCP stacks have no finding, and each rule
 * fires on the program's real output with one field changed. The extract it reads is what the
 * installed googleapis packages say today.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { graphOf, planCli, type RecordedResource } from "./mocks";
import { gcpChecker } from "../scripts/conformance/gcp";
import { CHECKERS, renderFindings } from "../scripts/conformance";
import { extract } from "../scripts/conformance/rules/gcp-extract";

const ROOT = path.resolve(__dirname, "..");

test("the recorded Google extract is what the installed @googleapis packages and the documented rules give", () => {
    const committed = JSON.parse(
        fs.readFileSync(path.join(ROOT, "scripts/conformance/rules/gcp.json"), "utf8"),
    );
    assert.deepEqual(committed, extract());
    assert.match(committed.run.source, /^@googleapis\/run@\d+\.\d+\.\d+ v2\.ts$/);
    assert.match(committed.sqladmin.source, /^@googleapis\/sqladmin@\d+\.\d+\.\d+ v1beta4\.ts$/);
    assert.match(committed.secretmanager.source, /^@googleapis\/secretmanager@\d+\.\d+\.\d+ v1\.ts$/);
    assert.ok(committed.run.fields.RevisionTemplate.includes("vpcAccess"));
    assert.ok(committed.sqladmin.fields.BackupConfiguration.includes("transactionLogRetentionDays"));
});

test("the Google Cloud checker is registered for npm run plan", () => {
    assert.ok(CHECKERS.includes(gcpChecker));
});

test("the committed GCP stacks plan with no finding Google Cloud would reject", async () => {
    const runs = await Promise.all(
        ["gcp-staging", "gcp-production"].map((s) => planCli(["--stack", s, "--json"])),
    );
    for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout).conformance, []);
    }
});

let base: RecordedResource[] | undefined;
const real = async () => (base ??= (await graphOf("gcp-staging")).result.resources);

/** The real graph with one resource's inputs changed. */
async function broken(
    type: string,
    change: (inputs: any) => void,
    name?: string,
): Promise<RecordedResource[]> {
    const resources = structuredClone(await real());
    const r = resources.find((x) => x.type === type && (name === undefined || x.name === name))!;
    change(r.inputs);
    return resources;
}

const RUN = "gcp:cloudrunv2/service:Service";
const cases: [string, string, (i: any) => void, string, RegExp, string?][] = [
    [
        "a service account id past IAM's 30 characters (the release tester's rule)",
        "gcp:serviceaccount/account:Account",
        (i) => (i.accountId = "api-gcp-staging-release-smoke-1"),
        "accountId",
        /must be 6-30 characters long and match .*iam\/v1\.ts/,
        "gcp-api-sa",
    ],
    [
        "a custom audience that is not a URL (a private service's ID token audience)",
        RUN,
        (i) => (i.customAudiences = ["api-release-smoke"]),
        "customAudiences[0]",
        /each custom audience is the full URL/,
    ],
    [
        "a revision that sets PORT",
        RUN,
        (i) => i.template.containers[0].envs.push({ name: "PORT", value: "8080" }),
        "template.containers[0].envs[5].name",
        /reserved env name/,
    ],
    [
        "an ingress Google does not know",
        RUN,
        (i) => (i.ingress = "INGRESS_TRAFFIC_PUBLIC"),
        "ingress",
        /ingress must be one of INGRESS_TRAFFIC_ALL/,
    ],
    [
        "a field the revision template does not have",
        RUN,
        (i) => (i.template.minInstances = 1),
        "template.minInstances",
        /RevisionTemplate has no field "minInstances" \(@googleapis\/run@/,
    ],
    [
        "a tag too long for its service name",
        RUN,
        (i) => (i.traffics[0].tag = `rev-${"a".repeat(40)}`),
        "traffics[0].tag",
        /Combined traffic tag and service name cannot exceed 46 characters/,
    ],
    [
        "traffic that does not add up to 100",
        RUN,
        (i) => (i.traffics[0].percent = 90),
        "traffics",
        /add up to 100/,
    ],
    [
        "a revision not named after its service",
        RUN,
        (i) => (i.template.revision = "web-4f2a9c1e7b3d-0a1b2c"),
        "template.revision",
        /starts with the service name/,
    ],
    [
        "a startup probe window over 240 s",
        RUN,
        (i) => (i.template.containers[0].startupProbe.failureThreshold = 60),
        "template.containers[0].startupProbe.failureThreshold",
        /300 s; a startup probe gets at most 240 s/,
    ],
    [
        "a probe timeout longer than its period",
        RUN,
        (i) => (i.template.containers[0].livenessProbe.timeoutSeconds = 20),
        "template.containers[0].livenessProbe.timeoutSeconds",
        /greater or equal than timeout_seconds/,
    ],
    [
        "an egress setting Google does not know",
        RUN,
        (i) => (i.template.vpcAccess.egress = "PRIVATE_ONLY"),
        "template.vpcAccess.egress",
        /egress must be one of ALL_TRAFFIC, PRIVATE_RANGES_ONLY/,
    ],
    [
        "PITR logs as long as the backups",
        "gcp:sql/databaseInstance:DatabaseInstance",
        (i) => (i.settings.backupConfiguration.transactionLogRetentionDays = 7),
        "settings.backupConfiguration.transactionLogRetentionDays",
        /fewer days than the retained backups \(7\)/,
    ],
    [
        "an availability type Google does not know",
        "gcp:sql/databaseInstance:DatabaseInstance",
        (i) => (i.settings.availabilityType = "MULTI_AZ"),
        "settings.availabilityType",
        /availabilityType must be one of ZONAL, REGIONAL/,
    ],
    [
        "a Cloud SQL setting with an AWS name",
        "gcp:sql/databaseInstance:DatabaseInstance",
        (i) => (i.settings.multiAz = true),
        "settings.multiAz",
        /Settings has no field "multiAz" \(@googleapis\/sqladmin@/,
    ],
    [
        "a secret id with a dot",
        "gcp:secretmanager/secret:Secret",
        (i) => (i.secretId = "gcp-staging.db"),
        "secretId",
        /must match/,
        "gcp-sql-password",
    ],
    [
        "an alert comparison Google does not know",
        "gcp:monitoring/alertPolicy:AlertPolicy",
        (i) => (i.conditions[0].conditionThreshold.comparison = "GREATER_THAN"),
        "conditions[0].conditionThreshold.comparison",
        /comparison must be one of COMPARISON_GT/,
    ],
    [
        "an alert aligned over 30 s",
        "gcp:monitoring/alertPolicy:AlertPolicy",
        (i) => (i.conditions[0].conditionThreshold.aggregations[0].alignmentPeriod = "30s"),
        "conditions[0].conditionThreshold.aggregations[0].alignmentPeriod",
        /at least 60s/,
    ],
];

for (const [what, type, change, field, rule, name] of cases) {
    test(`Google Cloud would reject ${what}`, async () => {
        assert.deepEqual(gcpChecker(await real()), [], "the real graph is clean");
        const findings = gcpChecker(await broken(type, change, name));
        assert.deepEqual(
            findings.map((f) => f.field),
            [field],
        );
        assert.equal(findings[0].cloud, "Google Cloud");
        assert.equal(findings[0].type, type);
        assert.match(findings[0].rule, rule);
        assert.match(renderFindings(findings), /\nGoogle Cloud would reject:\n {2}gcp-/);
    });
}
