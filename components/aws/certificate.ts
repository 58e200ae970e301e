/**
 * The HTTPS listeners' ACM certificate (`service-deploy:aws.certificateArn`), checked before the
 * stack creates anything that costs time or money.
 *
 * - At config parse (pure, `certificateArnProblems`): the ARN's region is the stack's `aws:region`
 *   and its partition is that region's partition. ACM certificates are regional: "To use a
 *   certificate with Elastic Load Balancing ... in more than one AWS Region, you must request or
 *   import a certificate for each Region. ... You cannot copy a certificate between Regions"
 *   (ACM User Guide, "Supported Regions", docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
 * - At preview and up (`CertificateCheck`): the certificate is read from ACM
 *   (`aws.acm.Certificate.get`, DescribeCertificate) in the deploying account, and the AWS target
 *   waits for the read before it registers its network and database (components/aws/target.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { certificateAccountProblem, certificateStateProblem } from "./certificate-arn";

export interface CertificateCheckArgs {
    /** The certificate ARN from `service-deploy:aws.certificateArn`. */
    certificateArn: string;
}

/**
 * Reads the certificate from ACM and settles `ready` once it belongs to the deploying account and
 * is ISSUED; `ready` rejects with a message naming `service-deploy:aws.certificateArn` otherwise.
 * Pass `ready` as `dependsOn` to what must not be created with an unusable certificate.
 *
 * Why this orders before the VPC and database, at preview as at up:
 * - The read is registered only after the account check passes (its `dependsOn` is that check),
 *   so another account's ARN is never read.
 * - The engine performs a read during a preview too: "Unlike most steps, Read steps run during
 *   previews. The only time we can't run is if the ID we are given is unknown" (pulumi/pulumi
 *   pkg/resource/deploy/step.go, ReadStep.Apply). The ID is the config's ARN, always known.
 * - A certificate ACM does not know (or VALIDATION_TIMED_OUT, which the provider treats as
 *   gone: terraform-provider-aws internal/service/acm/certificate.go, findCertificateByARN) fails
 *   the read: the engine reports "resource '<arn>' does not exist" on this resource, named
 *   after the key.
 * - The Node SDK awaits an Output passed as `dependsOn` before it sends the registration
 *   (@pulumi/pulumi runtime/dependsOn.js, gatherExplicitDependencies), and a component's children
 *   wait for their parent's URN (runtime/resource.js, prepareResource): a rejected `ready` means
 *   the network, the database and everything under them are never registered.
 */
export class CertificateCheck extends pulumi.ComponentResource {
    /** The certificate as ACM describes it (a read, never created or deleted by the stack). */
    public readonly certificate: aws.acm.Certificate;
    /** Settles once the certificate is usable; rejects with the key and what to do otherwise. */
    public readonly ready: pulumi.Output<pulumi.Resource[]>;

    constructor(name: string, args: CertificateCheckArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:CertificateCheck", name, {}, opts);
        const arn = args.certificateArn;
        const sameAccount = aws.getCallerIdentityOutput({}, { parent: this }).accountId.apply((accountId) => {
            const problem = certificateAccountProblem(arn, accountId);
            if (problem) throw new Error(problem);
            return [] as pulumi.Resource[];
        });
        this.certificate = aws.acm.Certificate.get("aws.certificateArn", arn, undefined, {
            parent: this,
            dependsOn: sameAccount,
        });
        this.ready = this.certificate.status.apply((status) => {
            const problem = certificateStateProblem(arn, status);
            if (problem) throw new Error(problem);
            return [] as pulumi.Resource[];
        });
        this.registerOutputs({ status: this.certificate.status });
    }
}
