/**
 * The provisioned VM: an Ampere A1 Flex instance (OCPUs and memory from config, Always Free
 * sizes by default), its image either pinned by OCID or the newest aarch64 build of the chosen
 * OS that supports the shape (`oci.core.getImages`, newest first), a public IP on the subnet,
 * the network security group, and cloud-init's user data in the metadata. The metadata carries
 * the host's private key, so it is a secret in state.
 *
 * OCI's instance metadata: `user_data` is base64 cloud-init, `ssh_authorized_keys` is the image
 * admin user's keys (https://docs.oracle.com/en-us/iaas/Content/Compute/Tasks/launchinginstance.htm).
 * cloud-init reads user data on the first boot only. The lookup's newest image is ignored after
 * creation (`ignoreChanges`): a new platform image build must not replace a running VM by surprise.
 */
import * as pulumi from "@pulumi/pulumi";
import * as oci from "@pulumi/oci";
import type { Architecture } from "../config";

export interface OciInstanceArgs {
    compartmentId: string;
    availabilityDomain: string;
    /** @default "VM.Standard.A1.Flex" */
    shape?: string;
    ocpus: number;
    memoryGiB: number;
    bootVolumeSizeGiB: number;
    /** The shape's architecture (components/config/vm-provision.ts shapeArchitecture). */
    architecture: Architecture;
    image: { operatingSystem: string; operatingSystemVersion?: string; id?: string };
    subnetId: pulumi.Input<string>;
    nsgId: pulumi.Input<string>;
    /** The `#cloud-config` document (secret: it carries the host key). */
    userData: pulumi.Output<string>;
    /** Keys for the image's admin user. @default undefined (no admin login) */
    adminSshPublicKey?: string;
    freeformTags: Record<string, string>;
}

/** The default OS version per OS. Pure. */
export function defaultOsVersion(os: string): string {
    return os === "Oracle Linux" ? "9" : "22.04";
}

/** The `oci.core.getImages` arguments for the newest image of an OS for a shape and architecture. Pure. */
export function imageQuery(
    compartmentId: string,
    shape: string,
    architecture: Architecture,
    os: string,
    version?: string,
): oci.core.GetImagesOutputArgs {
    return {
        compartmentId,
        operatingSystem: os,
        operatingSystemVersion: version ?? defaultOsVersion(os),
        shape,
        state: "AVAILABLE",
        sortBy: "TIMECREATED",
        sortOrder: "DESC",
        // Platform images name their architecture: Canonical-Ubuntu-22.04-aarch64-2024.01.12-0.
        filters: [
            {
                name: "display_name",
                values: [architecture === "arm64" ? ".*-aarch64-.*" : "^((?!aarch64).)*$"],
                regex: true,
            },
        ],
    };
}

export class OciInstance extends pulumi.ComponentResource {
    public readonly instance: oci.core.Instance;
    public readonly publicIp: pulumi.Output<string>;
    public readonly imageId: pulumi.Output<string>;

    constructor(name: string, args: OciInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:oci:OciInstance", name, {}, opts);
        const shape = args.shape ?? "VM.Standard.A1.Flex";
        this.imageId = args.image.id
            ? pulumi.output(args.image.id)
            : oci.core
                  .getImagesOutput(
                      imageQuery(
                          args.compartmentId,
                          shape,
                          args.architecture,
                          args.image.operatingSystem,
                          args.image.operatingSystemVersion,
                      ),
                      { parent: this },
                  )
                  .images.apply((images) => {
                      if (images.length === 0)
                          throw new Error(
                              `no ${args.image.operatingSystem} ${args.image.operatingSystemVersion ?? defaultOsVersion(args.image.operatingSystem)} image for ${shape} (${args.architecture}) in the compartment; check vm.provision.oci.image or pin one with vm.provision.oci.image.id`,
                          );
                      return images[0].id;
                  });
        const metadata: Record<string, pulumi.Input<string>> = {
            user_data: args.userData.apply((u) => Buffer.from(u, "utf8").toString("base64")),
        };
        if (args.adminSshPublicKey) metadata.ssh_authorized_keys = args.adminSshPublicKey;
        this.instance = new oci.core.Instance(
            `${name}-vm`,
            {
                compartmentId: args.compartmentId,
                availabilityDomain: args.availabilityDomain,
                displayName: name,
                shape,
                shapeConfig: { ocpus: args.ocpus, memoryInGbs: args.memoryGiB },
                sourceDetails: {
                    sourceType: "image",
                    sourceId: this.imageId,
                    bootVolumeSizeInGbs: String(args.bootVolumeSizeGiB),
                },
                createVnicDetails: {
                    subnetId: args.subnetId,
                    assignPublicIp: "true",
                    nsgIds: [args.nsgId],
                },
                metadata: pulumi.secret(metadata),
                freeformTags: args.freeformTags,
            },
            { parent: this, ignoreChanges: ["sourceDetails.sourceId"] },
        );
        this.publicIp = this.instance.publicIp;
        this.registerOutputs({ publicIp: this.publicIp, instanceId: this.instance.id });
    }
}
