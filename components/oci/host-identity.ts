/**
 * The provisioned VM's SSH host key, made by the program instead of trusted on first use: an
 * ed25519 key pair (@pulumi/tls), the private half kept secret in state and installed by
 * cloud-init (`ssh_keys`), the public half pinned in every SSH connection the deploy opens.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface HostIdentityArgs {
    /** A comment-free key is what sshd presents; nothing to configure. @default {} */
    readonly _?: never;
}

/** `ssh-ed25519 AAAA...` without a trailing comment or newline: the form a pinned hostKey takes. Pure. */
export function hostKeyLine(publicKeyOpenssh: string): string {
    return publicKeyOpenssh.trim().split(/\s+/).slice(0, 2).join(" ");
}

export class HostIdentity extends pulumi.ComponentResource {
    /** The OpenSSH private key (secret). */
    public readonly privateKeyOpenssh: pulumi.Output<string>;
    /** `ssh-ed25519 AAAA...`, pinned by the deploy. */
    public readonly publicKey: pulumi.Output<string>;

    constructor(name: string, _args: HostIdentityArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:oci:HostIdentity", name, {}, opts);
        const key = new tls.PrivateKey(
            `${name}-key`,
            { algorithm: "ED25519" },
            // The provider marks privateKeyOpenssh secret already; listed so a provider change cannot leak it.
            {
                parent: this,
                additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
            },
        );
        this.privateKeyOpenssh = pulumi.secret(key.privateKeyOpenssh);
        this.publicKey = key.publicKeyOpenssh.apply(hostKeyLine);
        this.registerOutputs({ publicKey: this.publicKey });
    }
}
