/**
 * The Google APIs a GCP stack calls, enabled on the project before anything uses them. A new
 * project has most of them off, and the first `pulumi up` otherwise fails on the first call with
 * "Cloud Run Admin API has not been used in project ... before or it is disabled".
 *
 * `disableOnDestroy: false`: destroying a stack never turns an API off for the other stacks and
 * services that share the project. `disableDependentServices` stays off for the same reason.
 * The resources of the GCP target wait on these (components/gcp/target.ts adds them to every
 * child's `dependsOn`), so no create races an API that is still being enabled.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

export interface ProjectApisArgs {
    project: string;
    /** The APIs, e.g. `run.googleapis.com` (see `requiredApis`). */
    apis: string[];
}

/** What the stack needs enabled, from what it creates. Pure. */
export function requiredApis(uses: {
    /** A Cloud SQL instance. */
    database: boolean;
    /** The stack creates the private services access peering (Service Networking). */
    privateServiceAccess: boolean;
    /** Direct VPC egress or a VPC for Cloud SQL (Compute Engine networks and addresses). */
    vpc: boolean;
}): string[] {
    return [
        "run.googleapis.com",
        "artifactregistry.googleapis.com",
        "secretmanager.googleapis.com",
        "monitoring.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "iam.googleapis.com",
        "iamcredentials.googleapis.com",
        ...(uses.database ? ["sqladmin.googleapis.com"] : []),
        ...(uses.privateServiceAccess ? ["servicenetworking.googleapis.com"] : []),
        ...(uses.vpc ? ["compute.googleapis.com"] : []),
    ].sort();
}

export class ProjectApis extends pulumi.ComponentResource {
    /** One `gcp.projects.Service` per API; depend on these. */
    public readonly services: gcp.projects.Service[];

    constructor(name: string, args: ProjectApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:ProjectApis", name, {}, opts);
        this.services = args.apis.map(
            (api) =>
                new gcp.projects.Service(
                    `${name}-${api.split(".")[0]}`,
                    {
                        project: args.project,
                        service: api,
                        disableOnDestroy: false,
                        disableDependentServices: false,
                    },
                    { parent: this },
                ),
        );
        this.registerOutputs({});
    }
}
