/**
 * The ECR repository a service's image build pushes to: immutable tags (a tag can never be moved
 * to other content) and scan on push. Push credentials come from the provider at deploy time
 * (`ecr.getAuthorizationToken`, valid 12 hours), never from a long-lived password in config
 * (seed section 1: "denied: requested access to the resource is denied").
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { RegistryAuth } from "../image";

export interface EcrRepositoryArgs {
    /** Repository name: the service's canonical image name. */
    repositoryName: string;
    /** Allow deleting the repository with images in it (never in production). @default false */
    forceDelete?: boolean;
    /** Untagged images kept before expiry. @default 20 */
    keepUntagged?: number;
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
            { parent: this },
        );
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
