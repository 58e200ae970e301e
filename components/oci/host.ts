/**
 * One VM made on Oracle Cloud for the VM target: host identity, network, instance with its
 * cloud-init preparation, and the wait for that preparation, in that order. The VM target deploys
 * to `host` (public IP, deploy user, pinned host key) once `ready` has run.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { PROVISIONED_HOST, shapeArchitecture, type OciProvisionConfig } from "../config";
import { cloudInitWaitCommand } from "../vm/commands";
import { cloudInitUserData, PREPARED_MARKER, type TlsSetup } from "./cloud-init";
import { HostIdentity } from "./host-identity";
import { OciInstance } from "./instance";
import { OciNetwork } from "./network";

export interface OciHostArgs {
    oci: OciProvisionConfig;
    /** The deploy user. @default "deploy" */
    user?: string;
    runtime: "docker" | "podman";
    serverName: string;
    tlsCertificatePath: string;
    tlsKeyPath: string;
    /** PEM certificate and key, for tls mode "files". @default undefined */
    tlsFiles?: { certificate: pulumi.Output<string>; key: pulumi.Output<string> };
    /** The deploy's SSH private key (secret). */
    sshPrivateKey: pulumi.Output<string>;
    freeformTags: Record<string, string>;
}

/** The host the deploy connects to, with its address and key known only after creation. */
export interface ProvisionedHost {
    name: string;
    address: pulumi.Output<string>;
    user: string;
    port: number;
    hostKey: pulumi.Output<string>;
}

/** Ports the host and the NSG open: 443, and 80 when certbot answers HTTP-01 challenges. Pure. */
export function openPorts(tls: OciProvisionConfig["tls"]["mode"]): number[] {
    return tls === "certbot" ? [443, 80] : [443];
}

export class OciHost extends pulumi.ComponentResource {
    public readonly host: ProvisionedHost;
    public readonly instanceId: pulumi.Output<string>;
    public readonly publicIp: pulumi.Output<string>;
    /** The wait for cloud-init: the first deploy depends on it. */
    public readonly ready: command.remote.Command;

    constructor(name: string, args: OciHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:oci:OciHost", name, {}, opts);
        const o = args.oci;
        const user = args.user ?? "deploy";
        const tags = args.freeformTags;
        const identity = new HostIdentity(`${name}-host-key`, {}, { parent: this });
        const network = new OciNetwork(
            `${name}-net`,
            {
                compartmentId: o.compartmentId,
                sshSourceCidr: o.sshSourceCidr,
                openHttp: o.tls.mode === "certbot",
                subnetId: o.subnetId,
                vcnCidr: o.vcnCidr,
                subnetCidr: o.subnetCidr,
                freeformTags: tags,
            },
            { parent: this },
        );
        const tlsSetup: pulumi.Output<TlsSetup> =
            o.tls.mode === "certbot"
                ? pulumi.output({ mode: "certbot" as const, email: o.tls.email, serverName: args.serverName })
                : pulumi
                      .all([args.tlsFiles!.certificate, args.tlsFiles!.key])
                      .apply(([certificate, key]) => ({
                          mode: "files" as const,
                          certificatePath: args.tlsCertificatePath,
                          keyPath: args.tlsKeyPath,
                          certificate,
                          key,
                      }));
        const userData = pulumi.secret(
            pulumi
                .all([identity.privateKeyOpenssh, identity.publicKey, tlsSetup])
                .apply(([privateOpenssh, publicOpenssh, tls]) =>
                    cloudInitUserData({
                        user,
                        authorizedKey: o.sshPublicKey,
                        runtime: args.runtime,
                        operatingSystem: o.image.operatingSystem,
                        hostKey: { privateOpenssh, publicOpenssh },
                        tls,
                        ports: openPorts(o.tls.mode),
                    }),
                ),
        );
        const vm = new OciInstance(
            `${name}`,
            {
                compartmentId: o.compartmentId,
                availabilityDomain: o.availabilityDomain,
                shape: o.shape,
                ocpus: o.ocpus,
                memoryGiB: o.memoryGiB,
                bootVolumeSizeGiB: o.bootVolumeSizeGiB,
                architecture: shapeArchitecture(o.shape),
                image: o.image,
                subnetId: network.subnetId,
                nsgId: network.nsgId,
                userData,
                adminSshPublicKey: o.adminSshPublicKey,
                freeformTags: tags,
            },
            { parent: this },
        );
        this.instanceId = vm.instance.id;
        this.publicIp = vm.publicIp;
        this.host = {
            name: PROVISIONED_HOST,
            address: vm.publicIp,
            user,
            port: 22,
            hostKey: identity.publicKey,
        };
        this.ready = new command.remote.Command(
            `${name}-cloud-init`,
            {
                connection: {
                    host: this.host.address,
                    port: this.host.port,
                    user,
                    hostKey: this.host.hostKey,
                    privateKey: args.sshPrivateKey,
                    // sshd comes up a minute or so after the instance is RUNNING.
                    dialErrorLimit: 60,
                },
                create: cloudInitWaitCommand(o.cloudInitTimeoutMinutes * 60, PREPARED_MARKER),
                // A new instance is a new preparation to wait for.
                triggers: [vm.instance.id],
                logging: "stdoutAndStderr",
            },
            { parent: this },
        );
        this.registerOutputs({
            publicIp: this.publicIp,
            instanceId: this.instanceId,
            hostKey: this.host.hostKey,
        });
    }
}
