/**
 * The HTTPS certificate (`service-deploy:aws.certificateArn`) is judged before the stack creates
 * its network and database: region and partition at config parse, account and ACM status at
 * preview (a read the engine performs in previews too). Config cases start from the committed
 * staging file with one field changed; the preview cases run the real program under mocks with
 * ACM's (or the caller's) answer changed.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { readStackFile } from "../scripts/offline";
import { ConfigError, parseStackConfig } from "../components/config";
import {
    PARTITIONS,
    certificateAccountProblem,
    certificateArnProblems,
    certificateStateProblem,
    partitionOf,
} from "../components/aws/certificate-arn";

const ROOT = path.resolve(__dirname, "..");
const ARN = "arn:aws:acm:ap-northeast-1:123456789012:certificate/0f3c2a51-7a4e-4d47-9d8b-2f1f1c0e5a11";

describe("certificate ARN against the stack's region (pure)", () => {
    const table: [string, string, string, RegExp[]][] = [
        ["same region and partition", ARN, "ap-northeast-1", []],
        [
            "another region",
            ARN.replace("ap-northeast-1", "us-east-1"),
            "ap-northeast-1",
            [/certificate is in us-east-1, but the stack deploys to ap-northeast-1/],
        ],
        [
            "China partition in a commercial region",
            ARN.replace("arn:aws:", "arn:aws-cn:"),
            "ap-northeast-1",
            [/partition is aws-cn, but ap-northeast-1 is in partition aws/],
        ],
        [
            "commercial partition in GovCloud",
            ARN.replace("ap-northeast-1", "us-gov-west-1"),
            "us-gov-west-1",
            [/partition is aws, but us-gov-west-1 is in partition aws-us-gov/],
        ],
        [
            "GovCloud ARN in GovCloud",
            ARN.replace("arn:aws:", "arn:aws-us-gov:").replace("ap-northeast-1", "us-gov-west-1"),
            "us-gov-west-1",
            [],
        ],
    ];
    for (const [name, arn, region, expected] of table)
        it(`${name}: ${expected.length === 0 ? "accepted" : "refused"}`, () => {
            const got = certificateArnProblems(arn, region);
            assert.equal(got.length, expected.length, got.join("\n"));
            for (const [i, re] of expected.entries()) assert.match(got[i], re);
        });

    it("a region's partition follows botocore's partitions.json", () => {
        assert.equal(partitionOf("ap-northeast-1"), "aws");
        assert.equal(partitionOf("cn-north-1"), "aws-cn");
        assert.equal(partitionOf("us-gov-east-1"), "aws-us-gov");
        assert.equal(partitionOf("us-iso-east-1"), "aws-iso");
        assert.equal(partitionOf("mars-north-1"), undefined);
    });

    it("the recorded partitions are botocore 1.43.11's data/partitions.json", (t) => {
        const probe = spawnSync(
            "python3",
            [
                "-c",
                "import botocore, json, os; d = json.load(open(os.path.join(os.path.dirname(botocore.__file__), 'data', 'partitions.json'))); print(botocore.__version__); print(json.dumps([{'id': p['id'], 'regionRegex': p['regionRegex']} for p in d['partitions']]))",
            ],
            { encoding: "utf8" },
        );
        const [version, json] = (probe.stdout ?? "").trim().split("\n");
        if (probe.status !== 0 || version !== "1.43.11") return t.skip("botocore 1.43.11 not installed");
        assert.deepEqual(PARTITIONS, JSON.parse(json));
    });
});

describe("certificate as ACM describes it (pure)", () => {
    for (const status of ["PENDING_VALIDATION", "EXPIRED", "REVOKED", "INACTIVE", "FAILED"])
        it(`${status} is refused, naming the key`, () => {
            const m = certificateStateProblem(ARN, status);
            assert.match(m ?? "", new RegExp(`^service-deploy:aws\\.certificateArn: .* is ${status} in ACM`));
        });
    it("ISSUED is accepted", () => assert.equal(certificateStateProblem(ARN, "ISSUED"), undefined));
    it("another account's certificate is refused, naming both accounts", () => {
        assert.match(
            certificateAccountProblem(ARN, "210987654321") ?? "",
            /^service-deploy:aws\.certificateArn: .* belongs to account 123456789012, but the stack deploys to account 210987654321/,
        );
        assert.equal(certificateAccountProblem(ARN, "123456789012"), undefined);
    });
});

describe("certificate ARN at config parse", () => {
    const parse = (region: string, arn: string) => {
        const { config, secretKeys } = readStackFile(path.join(ROOT, "Pulumi.staging.yaml"), [], []);
        config["service-deploy:stripeApiKey"] = "sk_test_staging_value";
        config["service-deploy:slackWebhookUrl"] = "https://hooks.slack.com/services/T0/B0/staging";
        config["aws:region"] = region;
        const aws = JSON.parse(config["service-deploy:aws"]);
        aws.certificateArn = arn;
        config["service-deploy:aws"] = JSON.stringify(aws);
        const keys = [...secretKeys, "service-deploy:stripeApiKey", "service-deploy:slackWebhookUrl"];
        return parseStackConfig({ config, isSecret: (k) => keys.includes(k), file: "Pulumi.staging.yaml" });
    };
    const refused = (region: string, arn: string, re: RegExp) => {
        let err: unknown;
        try {
            parse(region, arn);
        } catch (e) {
            err = e;
        }
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        const p = err.problems.find((x) => x.key === "service-deploy:aws.certificateArn");
        assert.ok(p, `a problem names the key; got ${err.problems.map((x) => x.key).join(", ")}`);
        assert.match(p.message, re);
        assert.match(err.message, /Pulumi\.staging\.yaml: service-deploy:aws\.certificateArn: /);
    };
    it("a certificate of another region than aws:region is refused", () =>
        refused("eu-west-1", ARN, /certificate is in ap-northeast-1, but the stack deploys to eu-west-1/));
    it("a certificate of another partition than aws:region's is refused", () =>
        refused(
            "cn-north-1",
            ARN.replace("arn:aws:", "arn:aws:").replace("ap-northeast-1", "cn-north-1"),
            /partition is aws, but cn-north-1 is in partition aws-cn/,
        ));
    it("the committed staging certificate in the stack's region passes", () => {
        assert.equal(parse("ap-northeast-1", ARN).aws?.certificateArn, ARN);
    });
});

/** One offline run in a child process (test/support/certificate-run.ts). */
function runCase(name: string): {
    error?: string;
    vpcs: string[];
    databases: string[];
    certificateReads: string[];
    notes: string[];
} {
    const p = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(__dirname, "support", "certificate-run.ts"), name],
        {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 120_000,
        },
    );
    const line = p.stdout.split("\n").find((l) => l.startsWith("{")) ?? "";
    assert.ok(line.startsWith("{"), `the run printed its result; stderr: ${p.stderr}`);
    return JSON.parse(line);
}

describe("certificate at preview: read from ACM before the network and database", () => {
    it("an ISSUED certificate of the deploying account lets the VPC and database register", () => {
        const r = runCase("issued");
        assert.equal(r.error, undefined);
        assert.equal(r.certificateReads.length, 1);
        assert.ok(r.vpcs.length > 0, "a VPC is registered");
        assert.ok(r.databases.length > 0, "a database instance is registered");
        assert.ok(
            r.notes.some(
                (n) =>
                    n.startsWith(`ACM certificate ${ARN}: read from ACM`) && /not verified offline/.test(n),
            ),
        );
    });

    const failing: [string, string, RegExp][] = [
        ["a certificate ACM does not know", "missing", new RegExp(`resource '${ARN}' does not exist`)],
        [
            "a certificate PENDING_VALIDATION",
            "pending",
            /^service-deploy:aws\.certificateArn: .* is PENDING_VALIDATION in ACM/,
        ],
        [
            "another account's certificate",
            "other-account",
            /^service-deploy:aws\.certificateArn: .* belongs to account 210987654321, but the stack deploys to account 123456789012/,
        ],
    ];
    for (const [name, id, message] of failing)
        it(`${name} fails the preview, and no VPC or database instance is registered`, () => {
            const r = runCase(id);
            assert.match(r.error ?? "(no error)", message);
            assert.deepEqual(r.vpcs, [], "no VPC registered");
            assert.deepEqual(r.databases, [], "no database instance registered");
        });
});
