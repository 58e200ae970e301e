/**
 * The Artifact Registry repository builds push to: Docker format, immutable tags. Push
 * credentials are the provider's own OAuth access token at deploy time
 * (`organizations.getClientConfig`, user `oauth2accesstoken`), never a JSON key in config.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { RegistryAuth } from "../image";

export interface ArtifactRepositoryArgs {
    /** Repository id. */
    repositoryId: string;
    /** Region, e.g. asia-east1. */
    location: string;
    project: string;
}

/** `<region>-docker.pkg.dev/<project>/<repository>/<image>`. Pure. */
export function artifactImageUrl(
    location: string,
    project: string,
    repositoryId: string,
    image: string,
): string {
    return `${location}-docker.pkg.dev/${project}/${repositoryId}/${image}`;
}

/** Whether a reference points into Artifact Registry (`<region>-docker.pkg.dev/...`). Pure. */
export function isArtifactRegistry(ref: string): boolean {
    return /^[a-z0-9-]+-docker\.pkg\.dev\//.test(ref);
}

/** Credentials to read an Artifact Registry image: the provider's access token, at deploy time. */
export function gcpRegistryAuth(ref: string, opts?: pulumi.InvokeOutputOptions): pulumi.Output<RegistryAuth> {
    const client = gcp.organizations.getClientConfigOutput(opts);
    return pulumi.output({
        address: ref.split("/")[0],
        username: "oauth2accesstoken",
        password: pulumi.secret(client.accessToken),
    });
}

export class ArtifactRepository extends pulumi.ComponentResource {
    public readonly repository: gcp.artifactregistry.Repository;
    public readonly auth: pulumi.Output<RegistryAuth>;

    constructor(
        name: string,
        private readonly args: ArtifactRepositoryArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("service-deploy:gcp:ArtifactRepository", name, {}, opts);
        this.repository = new gcp.artifactregistry.Repository(
            `${name}-repo`,
            {
                repositoryId: args.repositoryId,
                location: args.location,
                project: args.project,
                format: "DOCKER",
                description: "service images, pushed by digest-pinned deploys",
                dockerConfig: { immutableTags: true },
            },
            { parent: this },
        );
        this.auth = gcpRegistryAuth(`${args.location}-docker.pkg.dev/`, { parent: this });
        this.registerOutputs({});
    }

    /** Repository URL (no tag) of one image in this repository. */
    imageUrl(image: string): pulumi.Output<string> {
        return this.repository.repositoryId.apply((id) =>
            artifactImageUrl(this.args.location, this.args.project, id, image),
        );
    }
}
