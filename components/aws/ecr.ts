/**
 * An ECR repository of one stack: the one a service's build pushes to, or in production the one
 * production pulls its promoted digest from. Immutable tags (a tag can never be moved to other
 * content) and scan on push. Push credentials come from the provider at deploy time
 * (`ecr.getAuthorizationToken`, valid 12 hours), never from a long-lived password in config
 * (a stale one fails with "denied: requested access to the resource is denied").
 *
 * Why production has its own repository (rules from botocore 1.43.11's ecr model, 2015-09-21):
 * staging's is created with `forceDelete` (DeleteRepository `force`: "deleting the repository
 * force deletes the contents of the repository"), its build's `pulumi destroy` deletes the
 * digests it pushed (@pulumi/docker-build 0.0.22: "When an Image is deleted, it will attempt to
 * also delete any pushed tags"), and its lifecycle rule expires untagged manifests (which the
 * platform manifests of an index are). A repository policy would only grant pulls; it keeps
 * none of that from deleting what production runs. So production pulls from a repository only
 * its own stack manages: never force-deleted (`force` false: "the repository must be empty
 * before attempting to delete it"), `protect`ed, and with no expiry rule, so every digest it ran
 * stays there for a rollback. Promotion copies the digest in, unchanged (docs/aws.md#images).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { RegistryAuth } from "../image";
import { cite } from "../failures";

export interface EcrRepositoryArgs {
    /** Repository name: the service's canonical image name. */
    repositoryName: string;
    /** Allow deleting the repository with images in it (never in production). @default false */
    forceDelete?: boolean;
    /** Untagged images kept before expiry. @default 20 */
    keepUntagged?: number;
    /**
     * Expire untagged images beyond `keepUntagged`. Off for a repository production pulls from:
     * nothing there expires. @default true
     */
    expireUntagged?: boolean;
    /** `protect` the repository: a plan that would delete or replace it fails. @default false */
    protect?: boolean;
}

/**
 * The name of the repository a production stack owns for a service: `<stack>/<service>`, so it
 * never meets staging's (`<service>`) in one account. Pure.
 */
export function ownRepositoryName(stack: string, service: string): string {
    return `${stack.toLowerCase()}/${service}`;
}

/**
 * Why a production service's pinned ECR `ref` is refused, or undefined: it must name the
 * repository the stack owns (`ownRepositoryName`), not one another stack can delete. Pure.
 */
export function foreignRepositoryProblem(a: {
    ref: string;
    stack: string;
    service: string;
    index: number;
}): string | undefined {
    const m =
        /^(\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com)\/([^@:]+)(?::[^@]*)?@(sha256:[0-9a-f]{64})$/.exec(
            a.ref,
        );
    if (!m) return undefined;
    const own = ownRepositoryName(a.stack, a.service);
    if (m[2] === own) return undefined;
    return cite(
        "SD-024",
        `service-deploy:services[${a.index}].image.ref (${a.service}) pulls from ECR repository ${m[2]}, which this production stack does not own (another stack can force-delete it, and its destroy deletes the digests it pushed); production pulls from its own repository ${own}: set image.ref to ${m[1]}/${own}@${m[3]} and copy the digest there (npm run promote prints the command)`,
    );
}

export class EcrRepository extends pulumi.ComponentResource {
    public readonly repository: aws.ecr.Repository;
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly auth: pulumi.Output<RegistryAuth>;

    constructor(name: string, args: EcrRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:EcrRepository", name, {}, opts);
        this.repository = new aws.ecr.Repository(
            `${name}-repo`,
            {
                name: args.repositoryName,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                forceDelete: args.forceDelete ?? false,
            },
            { parent: this, protect: args.protect ?? false },
        );
        if (args.expireUntagged ?? true)
            new aws.ecr.LifecyclePolicy(
                `${name}-lifecycle`,
                {
                    repository: this.repository.name,
                    policy: JSON.stringify({
                        rules: [
                            {
                                rulePriority: 1,
                                description: "expire untagged images (tagged ones are releases and stay)",
                                selection: {
                                    tagStatus: "untagged",
                                    countType: "imageCountMoreThan",
                                    countNumber: args.keepUntagged ?? 20,
                                },
                                action: { type: "expire" },
                            },
                        ],
                    }),
                },
                { parent: this },
            );
        this.repositoryUrl = this.repository.repositoryUrl;
        this.auth = ecrAuth(this.repository.registryId, { parent: this });
        this.registerOutputs({ repositoryUrl: this.repositoryUrl });
    }
}

/** ECR registry id (account) of an `<account>.dkr.ecr.<region>.amazonaws.com/...` reference. Pure. */
export function ecrRegistryId(ref: string): string | undefined {
    return /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//.exec(ref)?.[1];
}

/** Registry credentials for an ECR registry, from the provider at deploy time; the password stays secret. */
export function ecrAuth(
    registryId: pulumi.Input<string>,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<RegistryAuth> {
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId }, opts);
    return pulumi.output({
        address: token.proxyEndpoint.apply((e) => e.replace(/^https?:\/\//, "")),
        username: token.userName,
        password: pulumi.secret(token.password),
    });
}
