/**
 * The AWS conformance layer (scripts/conformance/aws.ts) against the recorded botocore models:
 * the committed staging stack passes, and each rule refuses the staging program's real output
 * with one field changed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { awsChecker, awsRules, modelPattern, requestsOf, RULES_FILE } from "../scripts/conformance/aws";
import type { Finding } from "../scripts/conformance";
import { graphOf, type Graph, type RecordedResource } from "./mocks";
import { platformsTagValue } from "../components/aws/fargate-service";
import { stampedPlatforms } from "../policies/images";

let g: Graph;

/** A deep copy of a real resource with `change` applied to its inputs. */
function changed(r: RecordedResource, change: (inputs: any) => void): RecordedResource {
    const copy = structuredClone(r);
    change(copy.inputs);
    return copy;
}

function only(findings: Finding[]): Finding {
    assert.equal(findings.length, 1, JSON.stringify(findings, null, 1));
    return findings[0];
}

describe("AWS conformance", () => {
    before(async () => {
        g = await graphOf("staging");
    });

    it("the committed staging stack sends only requests AWS accepts", () => {
        assert.deepEqual(awsChecker(g.result.resources), []);
    });

    it("maps every AWS resource type the program declares to its API request", () => {
        const unmapped = [
            ...new Set(
                g.result.resources
                    .filter((r) => r.type.startsWith("aws:") && requestsOf(r).length === 0)
                    .map((r) => r.type),
            ),
        ];
        // Route tables, their associations, gateways and EIPs carry no modelled constraint the
        // program can break; everything else must be mapped.
        const allowed = new Set([
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/eip:Eip",
            "aws:ec2/natGateway:NatGateway",
            // Read from ACM (aws.acm.Certificate.get, DescribeCertificate), never created.
            "aws:acm/certificate:Certificate",
        ]);
        assert.deepEqual(
            unmapped.filter((t) => !allowed.has(t)),
            [],
        );
    });

    it("refuses a task definition tag value with a comma (RegisterTaskDefinition TagValue pattern)", () => {
        const td = changed(g.one("aws:ecs/taskDefinition:TaskDefinition"), (i) => {
            i.tags["service-deploy:image-platforms"] = "linux/amd64,linux/arm64";
        });
        const f = only(awsChecker([td]));
        assert.equal(f.operation, "RegisterTaskDefinition");
        assert.match(f.field, /^tags\[\d\]\.value$/);
        assert.equal(f.value, "linux/amd64,linux/arm64");
        assert.match(f.rule, /ecs TagValue: must match/);
    });

    it("the platforms stamp is a valid ECS tag value the policy pack reads back", () => {
        const value = platformsTagValue(["linux/arm64", "linux/amd64"]);
        const tagValue = awsRules().services.ecs.shapes.TagValue.pattern as string;
        assert.match(value, modelPattern(tagValue) as RegExp);
        assert.deepEqual(
            stampedPlatforms("aws:ecs/taskDefinition:TaskDefinition", {
                tags: { "service-deploy:image-platforms": value },
            }),
            ["linux/amd64", "linux/arm64"],
        );
    });

    it("refuses a tag key longer than 128 characters", () => {
        const tg = changed(g.all("aws:lb/targetGroup:TargetGroup")[0], (i) => {
            i.tags[`k${"x".repeat(128)}`] = "v";
        });
        const f = only(awsChecker([tg]));
        assert.match(f.field, /^Tags\[\d\]\.Key$/);
        assert.match(f.rule, /elbv2 TagKey: length at most 128/);
    });

    it("refuses a request without a required member (CreateRule Priority)", () => {
        const rule = changed(g.all("aws:lb/listenerRule:ListenerRule")[0], (i) => {
            delete i.priority;
        });
        const f = only(awsChecker([rule]));
        assert.equal(f.operation, "CreateRule");
        assert.equal(f.field, "Priority");
        assert.match(f.rule, /Priority is required/);
    });

    it("refuses a value outside its enum (CreateService launchType)", () => {
        const svc = changed(g.one("aws:ecs/service:Service"), (i) => {
            i.launchType = "SPOT";
        });
        const f = only(awsChecker([svc]));
        assert.equal(f.field, "launchType");
        assert.match(f.rule, /one of .*FARGATE/);
    });

    it("refuses a number below its minimum (CreateTargetGroup HealthCheckIntervalSeconds)", () => {
        const tg = changed(g.all("aws:lb/targetGroup:TargetGroup")[0], (i) => {
            i.healthCheck.interval = 2;
        });
        const f = only(awsChecker([tg]));
        assert.equal(f.field, "HealthCheckIntervalSeconds");
        assert.match(f.rule, /at least 5/);
    });

    it("refuses a string that breaks its pattern (CreateRepository repositoryName)", () => {
        const repo = changed(g.one("aws:ecr/repository:Repository"), (i) => {
            i.name = "API";
        });
        const f = only(awsChecker([repo]));
        assert.equal(f.operation, "CreateRepository");
        assert.equal(f.field, "repositoryName");
        assert.match(f.rule, /must match/);
    });

    it("refuses a Fargate cpu/memory pair AWS does not offer", () => {
        const td = changed(g.one("aws:ecs/taskDefinition:TaskDefinition"), (i) => {
            i.memory = "3000";
        });
        const f = only(awsChecker([td]));
        assert.equal(f.field, "memory");
        assert.match(f.rule, /memory 3000 is not allowed with cpu 512/);
    });

    it("refuses a metric math id that does not start with a lowercase letter", () => {
        const alarm = changed(
            g
                .all("aws:cloudwatch/metricAlarm:MetricAlarm")
                .find((r) => r.inputs.metricQueries) as RecordedResource,
            (i) => {
                i.metricQueries[0].id = "Errors";
            },
        );
        const f = only(awsChecker([alarm]));
        assert.equal(f.field, "Metrics[0].Id");
        assert.match(f.rule, /first character a lowercase letter/);
    });

    it("refuses a metric math alarm with more than one ReturnData", () => {
        const alarm = changed(
            g
                .all("aws:cloudwatch/metricAlarm:MetricAlarm")
                .find((r) => r.inputs.metricQueries) as RecordedResource,
            (i) => {
                i.metricQueries[0].returnData = true;
            },
        );
        assert.match(only(awsChecker([alarm])).rule, /ReturnData true on exactly one item/);
    });

    it("refuses an alarm period that is not 10, 20, 30 or a multiple of 60", () => {
        const alarm = changed(
            g
                .all("aws:cloudwatch/metricAlarm:MetricAlarm")
                .find((r) => r.inputs.metricName) as RecordedResource,
            (i) => {
                i.period = 45;
            },
        );
        const f = only(awsChecker([alarm]));
        assert.equal(f.field, "Period");
        assert.equal(f.value, 45);
    });

    it("refuses M of N with M above N", () => {
        const alarm = changed(
            g
                .all("aws:cloudwatch/metricAlarm:MetricAlarm")
                .find((r) => r.inputs.datapointsToAlarm) as RecordedResource,
            (i) => {
                i.datapointsToAlarm = i.evaluationPeriods + 1;
            },
        );
        assert.equal(only(awsChecker([alarm])).field, "DatapointsToAlarm");
    });

    it("refuses a final snapshot identifier RDS cannot take at delete", () => {
        const db = changed(g.one("aws:rds/instance:Instance"), (i) => {
            i.finalSnapshotIdentifier = "service-deploy--final-";
        });
        const f = only(awsChecker([db]));
        assert.equal(f.operation, "DeleteDBInstance");
        assert.equal(f.field, "FinalDBSnapshotIdentifier");
    });

    it("never prints a secret value in a finding", () => {
        const sv = changed(g.one("aws:secretsmanager/secretVersion:SecretVersion", "aws-api-env"), (i) => {
            i.secretString = { ...i.secretString, value: "x".repeat(70000) };
        });
        const f = only(awsChecker([sv]));
        assert.equal(f.field, "SecretString");
        assert.equal(f.value, "[secret]");
    });

    it("compiles every recorded model pattern as a JavaScript regex", () => {
        const bad = Object.values(awsRules().services).flatMap((s) =>
            Object.entries(s.shapes)
                .filter(([, sh]) => sh.pattern && !modelPattern(sh.pattern))
                .map(([n]) => n),
        );
        assert.deepEqual(bad, []);
    });

    it("the recorded extract is what extract-aws.py makes from botocore 1.43.11", (t) => {
        assert.equal(awsRules().botocore, "1.43.11");
        const probe = spawnSync("python3", ["-c", "import botocore; print(botocore.__version__)"], {
            encoding: "utf8",
        });
        if (probe.status !== 0 || probe.stdout.trim() !== "1.43.11")
            return t.skip("botocore 1.43.11 not installed");
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sd-extract-")), "aws.json");
        const r = spawnSync("python3", ["scripts/conformance/extract-aws.py", out], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.readFileSync(out, "utf8"), fs.readFileSync(RULES_FILE, "utf8"));
        fs.rmSync(path.dirname(out), { recursive: true });
    });
});
