/**
 * The S3 bucket the production ALB writes its access logs to (awsguard's `elb-logging-enabled`):
 * SSE-S3 encrypted (ALB log delivery supports SSE-S3 only, not SSE-KMS), every public access
 * blocked, bucket-owner-enforced ownership, logs expired after `retentionDays`, and a bucket
 * policy that lets only Elastic Load Balancing's log delivery write under the prefix.
 *
 * Who writes: in the Regions that existed before August 2022 ELB writes as a per-Region AWS
 * account; newer Regions use the `logdelivery.elasticloadbalancing.amazonaws.com` service
 * principal (Elastic Load Balancing User Guide, "Enable access logs for your Application Load
 * Balancer", bucket policy).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface AccessLogBucketArgs {
    /** Region of the load balancers writing here. */
    region: pulumi.Input<string>;
    /** Account id of the stack (the log objects' path holds it). */
    accountId: pulumi.Input<string>;
    /** Key prefix of the logs. @default "alb" */
    prefix?: string;
    /** Days a log object is kept. @default 90 */
    retentionDays?: number;
}

/** ELB's log-delivery accounts per Region (AWS's table, Regions before August 2022). */
export const ELB_LOG_ACCOUNTS: Record<string, string> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
};

/** The principal allowed to write the logs in a Region. Pure. */
export function elbLogPrincipal(region: string): { AWS: string } | { Service: string } {
    const account = ELB_LOG_ACCOUNTS[region];
    return account
        ? { AWS: `arn:aws:iam::${account}:root` }
        : { Service: "logdelivery.elasticloadbalancing.amazonaws.com" };
}

/** The bucket policy: ELB may put objects under `<prefix>/AWSLogs/<account>/` and nothing else. Pure. */
export function accessLogPolicy(a: {
    bucketArn: string;
    prefix: string;
    accountId: string;
    region: string;
}): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ElbLogDelivery",
                Effect: "Allow",
                Principal: elbLogPrincipal(a.region),
                Action: "s3:PutObject",
                Resource: `${a.bucketArn}/${a.prefix}/AWSLogs/${a.accountId}/*`,
            },
            {
                Sid: "TlsOnly",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [a.bucketArn, `${a.bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

export class AccessLogBucket extends pulumi.ComponentResource {
    public readonly bucket: aws.s3.Bucket;
    public readonly prefix: string;
    /** The policy resource: a load balancer must wait for it (ALB checks it can write). */
    public readonly policy: aws.s3.BucketPolicy;

    constructor(name: string, args: AccessLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:AccessLogBucket", name, {}, opts);
        this.prefix = args.prefix ?? "alb";
        this.bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: false }, { parent: this });
        const access = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            {
                bucket: this.bucket.id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            { parent: this },
        );
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: this.bucket.id,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            },
            { parent: this },
        );
        new aws.s3.BucketOwnershipControls(
            `${name}-ownership`,
            { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
            { parent: this },
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: this.bucket.id,
                rules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: { prefix: `${this.prefix}/` },
                        expiration: { days: args.retentionDays ?? 90 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
            },
            { parent: this },
        );
        this.policy = new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: this.bucket.id,
                policy: pulumi
                    .all([this.bucket.arn, args.accountId, args.region])
                    .apply(([bucketArn, accountId, region]) =>
                        accessLogPolicy({ bucketArn, prefix: this.prefix, accountId, region }),
                    ),
            },
            // A policy put while the public access block is being applied can be refused.
            { parent: this, dependsOn: [access] },
        );
        this.registerOutputs({ bucket: this.bucket.bucket });
    }
}
