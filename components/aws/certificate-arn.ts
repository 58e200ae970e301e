/**
 * The rules a certificate ARN (`service-deploy:aws.certificateArn`) must meet, pure: the config
 * parser checks its region and partition against `aws:region`; CertificateCheck
 * (components/aws/certificate.ts) checks its account and ACM status at preview and up.
 *
 * ACM certificates are regional: "To use a certificate with Elastic Load Balancing ... in more
 * than one AWS Region, you must request or import a certificate for each Region. ... You cannot
 * copy a certificate between Regions" (ACM User Guide, "Supported Regions",
 * docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
 */

/** The config key every message names. */
export const CERTIFICATE_KEY = "service-deploy:aws.certificateArn";

/**
 * AWS's partitions and the regions each holds, from botocore 1.43.11 `data/partitions.json`
 * (`partitions[].id` and `regionRegex`; an ARN's partition is `outputs.name`, equal to the id in
 * every partition). test/aws-certificate.test.ts compares this table with botocore when installed.
 */
export const PARTITIONS: { id: string; regionRegex: string }[] = [
    { id: "aws", regionRegex: "^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$" },
    { id: "aws-cn", regionRegex: "^cn\\-\\w+\\-\\d+$" },
    { id: "aws-eusc", regionRegex: "^eusc\\-(de)\\-\\w+\\-\\d+$" },
    { id: "aws-iso", regionRegex: "^us\\-iso\\-\\w+\\-\\d+$" },
    { id: "aws-iso-b", regionRegex: "^us\\-isob\\-\\w+\\-\\d+$" },
    { id: "aws-iso-e", regionRegex: "^eu\\-isoe\\-\\w+\\-\\d+$" },
    { id: "aws-iso-f", regionRegex: "^us\\-isof\\-\\w+\\-\\d+$" },
    { id: "aws-us-gov", regionRegex: "^us\\-gov\\-\\w+\\-\\d+$" },
];

/** The partition a region belongs to, or undefined for a name no partition claims. Pure. */
export function partitionOf(region: string): string | undefined {
    return PARTITIONS.find((p) => new RegExp(p.regionRegex).test(region))?.id;
}

/** An ACM certificate ARN's parts: `arn:<partition>:acm:<region>:<account>:certificate/<id>`. Pure. */
export function certificateArnParts(arn: string): { partition: string; region: string; account: string } {
    const [, partition = "", , region = "", account = ""] = arn.split(":");
    return { partition, region, account };
}

/**
 * What is wrong with the certificate ARN for a stack deploying to `region` (the `aws:region`
 * config), each a message for `service-deploy:aws.certificateArn`. Pure.
 */
export function certificateArnProblems(arn: string, region: string): string[] {
    const out: string[] = [];
    const parts = certificateArnParts(arn);
    const partition = partitionOf(region);
    if (parts.region !== region)
        out.push(
            `the certificate is in ${parts.region}, but the stack deploys to ${region} (aws:region); an ACM certificate serves only load balancers in its own region, so request or import one in ${region} and set its ARN`,
        );
    if (partition && parts.partition !== partition)
        out.push(
            `the ARN's partition is ${parts.partition}, but ${region} is in partition ${partition}; use a certificate ARN of the form arn:${partition}:acm:${region}:<account>:certificate/<id>`,
        );
    return out;
}

/**
 * What makes a certificate read from ACM unusable for the HTTPS listeners, or undefined when it
 * is usable. `status` is ACM's CertificateStatus (botocore acm model: PENDING_VALIDATION, ISSUED,
 * INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED); only ISSUED serves TLS. Pure.
 */
export function certificateStateProblem(arn: string, status: string): string | undefined {
    if (status === "ISSUED") return undefined;
    const hint =
        status === "PENDING_VALIDATION"
            ? "; finish its DNS or e-mail validation (ACM console, or aws acm describe-certificate) and preview again"
            : "; request or import a new certificate and set its ARN";
    return `${CERTIFICATE_KEY}: ${arn} is ${status} in ACM; a load balancer listener needs an ISSUED certificate${hint}`;
}

/** The certificate belongs to the account being deployed to, or a message. Pure. */
export function certificateAccountProblem(arn: string, accountId: string): string | undefined {
    const { account } = certificateArnParts(arn);
    if (account === accountId) return undefined;
    return `${CERTIFICATE_KEY}: ${arn} belongs to account ${account}, but the stack deploys to account ${accountId} (the credentials' account); ACM certificates cannot be used across accounts, so set the ARN of a certificate in ${accountId}`;
}
