/** `vm.provision.oci`: the VM made on Oracle Cloud by the stack, and its rules against the rest. */
import { z } from "zod";
import { cite } from "../failures";
import { type Architecture, platformOf, strict } from "./common";
import type { SecretDecl } from "./secrets";
import type { ServiceConfig } from "./services";
import { defaultArchitecture } from "./sizes";
import type { VmRaw } from "./vm";

export const sshHostKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+$/,
        "must be the host's public key line, e.g. ssh-ed25519 AAAA... (ssh-keyscan -t ed25519 <host>)",
    );

/** An Oracle Cloud OCID of one resource type, e.g. `ocid1.subnet.oc1.ap-tokyo-1.aaaa...`. */
const ocid = (...types: string[]) =>
    z
        .string({
            error: (iss) =>
                iss.input === undefined
                    ? `required: the OCID of the ${types[0]} (ocid1.${types[0]}.oc1..aaaa...)`
                    : undefined,
        })
        .regex(
            new RegExp(`^ocid1\\.(${types.join("|")})\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$`),
            `must be an OCID of a ${types.join(" or ")}, e.g. ocid1.${types[0]}.oc1..aaaa...`,
        );
const sshPublicKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( \S+)?$/,
        "must be an OpenSSH public key line, e.g. the content of ~/.ssh/deploy_ed25519.pub",
    );

/**
 * `vm.provision.oci`: the VM, its network, its preparation and its monitoring made on Oracle
 * Cloud by the stack itself (components/oci/). Sizes default to the Always Free Ampere A1
 * allowance (4 OCPUs and 24 GB of memory per tenancy, 200 GB of block volume).
 */
export const ociProvisionSchema = strict({
    /** Compartment the resources go in (a tenancy OCID means the root compartment). */
    compartmentId: ocid("compartment", "tenancy"),
    /** Availability domain name, e.g. `Uocm:AP-TOKYO-1-AD-1` (`oci iam availability-domain list`). */
    availabilityDomain: z
        .string()
        .regex(
            /^[A-Za-z0-9]+:[A-Z0-9-]+-AD-\d$/,
            "must be an availability domain name such as Uocm:AP-TOKYO-1-AD-1",
        ),
    /** @default "VM.Standard.A1.Flex" (Ampere, arm64, Always Free eligible) */
    shape: z
        .string()
        .regex(/^(VM|BM)\.[A-Za-z0-9.]+$/, "must be a compute shape such as VM.Standard.A1.Flex")
        .default("VM.Standard.A1.Flex"),
    /** @default 4 (the Always Free A1 allowance) */
    ocpus: z.number().int().min(1).max(80).default(4),
    /** @default 24 (the Always Free A1 allowance) */
    memoryGiB: z.number().int().min(1).max(512).default(24),
    /** @default 50 (the smallest boot volume; Always Free covers 200 GB in all) */
    bootVolumeSizeGiB: z.number().int().min(50).max(32768).default(50),
    /** The OS image: the latest aarch64 build of an OS for the shape, or one pinned by OCID. */
    image: strict({
        /** @default "Canonical Ubuntu" */
        operatingSystem: z.enum(["Canonical Ubuntu", "Oracle Linux"]).default("Canonical Ubuntu"),
        /** @default "22.04" for Ubuntu, "9" for Oracle Linux */
        operatingSystemVersion: z
            .string()
            .regex(/^\d+(\.\d+)?$/, "must be a version such as 22.04 or 9")
            .optional(),
        /** Pin one image by OCID instead of looking up the latest. @default none */
        id: ocid("image").optional(),
    }).default({ operatingSystem: "Canonical Ubuntu" }),
    /** The deploy user's SSH public key (the private half is the vm.sshKeySecret secret). */
    sshPublicKey,
    /** Who may reach port 22 (your CI's egress range). */
    sshSourceCidr: z.cidrv4(),
    /** A key for the image's admin user (ubuntu/opc, full sudo), for break-glass access. @default none */
    adminSshPublicKey: sshPublicKey.optional(),
    /** An existing public subnet instead of a new VCN. @default none (a VCN is created) */
    subnetId: ocid("subnet").optional(),
    /** @default "10.0.0.0/16" */
    vcnCidr: z.cidrv4().optional(),
    /** @default "10.0.0.0/24" */
    subnetCidr: z.cidrv4().optional(),
    /** How nginx gets its certificate: certbot (HTTP-01 on port 80), or PEM files from declared secrets. */
    tls: z.discriminatedUnion(
        "mode",
        [
            strict({
                mode: z.literal("certbot"),
                /** Let's Encrypt account e-mail (expiry notices). */
                email: z.email(),
            }),
            strict({
                mode: z.literal("files"),
                /** Declared secret holding the PEM certificate chain. */
                certificateSecret: z.string().min(1),
                /** Declared secret holding the PEM private key. */
                keySecret: z.string().min(1),
            }),
        ],
        {
            error: () =>
                'must be { mode: "certbot", email } or { mode: "files", certificateSecret, keySecret }',
        },
    ),
    /** Minutes the first deploy waits for cloud-init to finish. @default 20 */
    cloudInitTimeoutMinutes: z.number().int().min(1).max(120).default(20),
});
export type OciProvisionConfig = z.infer<typeof ociProvisionSchema>;

/** The CPU architecture of an OCI compute shape: Ampere shapes (A1, A2, ...) are arm64. Pure. */
export function shapeArchitecture(shape: string): Architecture {
    return /\.A\d+(\.|$)/.test(shape) ? "arm64" : "amd64";
}

/**
 * The rules between `vm.provision.oci` and the rest of the stack: one way to get hosts, one way
 * to pick the image and the network, a shape that runs the services' architecture, SSH closed to
 * the world in production, TLS that nginx can serve. Keys are relative to `service-deploy:`. Pure.
 */
export function ociProvisionProblems(
    vm: VmRaw,
    services: [number, ServiceConfig][],
    production: boolean,
    secrets: Record<string, SecretDecl> | undefined,
): { key: string; message: string }[] {
    const out: { key: string; message: string }[] = [];
    const o = vm.provision?.oci;
    if (vm.hosts && vm.provision)
        out.push({
            key: "vm.provision",
            message:
                "vm.hosts and vm.provision are exclusive: use existing hosts (vm.hosts) or let the stack make one (vm.provision.oci), not both",
        });
    if (!vm.hosts && !vm.provision)
        out.push({
            key: "vm.hosts",
            message: "set vm.hosts (existing hosts) or vm.provision.oci (the stack makes the VM)",
        });
    if (!o) return out;
    const at = "vm.provision.oci";
    if (vm.bastion)
        out.push({
            key: "vm.bastion",
            message: `vm.bastion and ${at} are exclusive: the provisioned VM is reached directly on its public IP, port 22 open to ${at}.sshSourceCidr only`,
        });
    if (o.image.id && o.image.operatingSystemVersion)
        out.push({
            key: `${at}.image.id`,
            message: `${at}.image.id and ${at}.image.operatingSystemVersion are exclusive: pin one image by OCID, or look up the latest of a version`,
        });
    for (const k of ["vcnCidr", "subnetCidr"] as const)
        if (o.subnetId && o[k])
            out.push({
                key: `${at}.${k}`,
                message: `${at}.subnetId and ${at}.${k} are exclusive: an existing subnet brings its own network`,
            });
    const arch = shapeArchitecture(o.shape);
    for (const [i, s] of services) {
        if (s.target !== "vm") continue;
        const want = s.architecture ?? defaultArchitecture("vm");
        if (want !== arch)
            out.push({
                key: `${at}.shape`,
                message: cite(
                    "SD-003",
                    `${o.shape} runs ${platformOf(arch)} but services[${i}].architecture is ${want}: the container would fail with "exec format error"; use an Ampere shape such as VM.Standard.A1.Flex or set services[${i}].architecture to ${arch} with an image that has ${platformOf(arch)}`,
                ),
            });
    }
    if (production && o.sshSourceCidr.endsWith("/0"))
        out.push({
            key: `${at}.sshSourceCidr`,
            message: `${o.sshSourceCidr} opens SSH to the whole internet in production; set your CI's egress range, e.g. 198.51.100.0/24`,
        });
    if (o.image.operatingSystem === "Oracle Linux" && vm.runtime === "docker")
        out.push({
            key: "vm.runtime",
            message:
                "Oracle Linux ships podman, not docker; set vm.runtime to podman or use Canonical Ubuntu",
        });
    if (!vm.nginx.tlsCertificatePath)
        out.push({
            key: "vm.nginx.tlsCertificatePath",
            message: `a provisioned VM serves HTTPS on 443; set vm.nginx.tlsCertificatePath and tlsKeyPath${o.tls.mode === "certbot" ? ` to /etc/letsencrypt/live/${vm.nginx.serverName}/fullchain.pem and privkey.pem` : ""}`,
        });
    else if (o.tls.mode === "certbot") {
        const live = `/etc/letsencrypt/live/${vm.nginx.serverName}`;
        for (const [k, want] of [
            ["tlsCertificatePath", `${live}/fullchain.pem`],
            ["tlsKeyPath", `${live}/privkey.pem`],
        ] as const)
            if (vm.nginx[k] !== want)
                out.push({
                    key: `vm.nginx.${k}`,
                    message: `certbot writes the certificate to ${want}; set vm.nginx.${k} to it`,
                });
    }
    if (vm.nginx.listen !== undefined && vm.nginx.listen !== 443)
        out.push({
            key: "vm.nginx.listen",
            message: "the provisioned VM's network opens 443 only; remove vm.nginx.listen or set it to 443",
        });
    if (o.tls.mode === "files" && secrets)
        for (const k of ["certificateSecret", "keySecret"] as const)
            if (!(o.tls[k] in secrets))
                out.push({
                    key: `${at}.tls.${k}`,
                    message: cite(
                        "SD-010",
                        `must name a declared secret (declared: ${Object.keys(secrets).join(", ") || "none"})`,
                    ),
                });
    return out;
}
