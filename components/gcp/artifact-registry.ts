/**
 * The stack's Artifact Registry repository, created for `ref` stacks as well as `build` ones, so
 * switching a service from ref to build finds it already managed (no 409 "already exists"):
 * Docker format, immutable tags, a cleanup policy. Push
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
    /** Resources to wait on (the project's APIs). @default [] */
    dependsOn?: pulumi.Resource[];
}

/**
 * Cleanup: keep the most recent versions of every image, delete older ones after 90 days. A
 * revision kept for rollback runs an image by digest, and Cloud Run pulls it again on every cold
 * start, so deletion waits long past any rollback window and never touches the newest versions.
 * https://cloud.google.com/artifact-registry/docs/repositories/cleanup-policy (KEEP wins over DELETE).
 */
export const CLEANUP_POLICIES = [
    { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 20 } },
    { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: "7776000s" } },
];

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
                cleanupPolicyDryRun: false,
                cleanupPolicies: CLEANUP_POLICIES,
            },
            { parent: this, dependsOn: args.dependsOn },
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
