/**
 * One offline run of the staging program with ACM's or the caller's answer changed, in a process
 * of its own (the Pulumi runtime is process-global). Prints what test/aws-certificate.test.ts
 * asserts: the run's error, the VPC and database instances that reached the engine, the notes.
 *   node --import tsx test/support/certificate-run.ts <issued|missing|pending|other-account>
 */
import { runOffline, type OfflineOptions } from "../../scripts/offline";

export const ARN = "arn:aws:acm:ap-northeast-1:123456789012:certificate/0f3c2a51-7a4e-4d47-9d8b-2f1f1c0e5a11";

const CASES: Record<string, OfflineOptions> = {
    issued: { stack: "staging" },
    missing: { stack: "staging", certificates: () => undefined },
    pending: { stack: "staging", certificates: () => ({ status: "PENDING_VALIDATION" }) },
    "other-account": {
        stack: "staging",
        overrides: { "service-deploy:aws": { certificateArn: ARN.replace("123456789012", "210987654321") } },
    },
};

async function main(name: string) {
    const opts = CASES[name];
    if (!opts) throw new Error(`unknown case ${name}; one of ${Object.keys(CASES).join(", ")}`);
    const result = await runOffline(opts);
    const created = (type: string) =>
        result.resources.filter((r) => r.type === type && r.registered === true).map((r) => r.name);
    process.stdout.write(
        `${JSON.stringify({
            error: result.error?.message,
            vpcs: created("aws:ec2/vpc:Vpc"),
            databases: created("aws:rds/instance:Instance"),
            certificateReads: created("aws:acm/certificate:Certificate"),
            notes: result.notes,
        })}\n`,
    );
    process.exit(0);
}

if (require.main === module) void main(process.argv[2]);
