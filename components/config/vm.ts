/** `vm`: existing hosts or a provisioned one, SSH, nginx, the runtime and the watchdog. */
import { z } from "zod";
import { slug, strict } from "./common";
import { ociProvisionSchema, sshHostKey } from "./vm-provision";

const hostSchema = strict({
    /** Stable logical name of the host (resource names derive from it). */
    name: slug,
    /** Address SSH connects to. */
    address: z.string().min(1),
    /** @default "deploy" */
    user: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name")
        .default("deploy"),
    /** @default 22 */
    port: z.number().int().min(1).max(65535).default(22),
    /** The host's SSH public key, pinned: a host that answers with another key is refused. */
    hostKey: sshHostKey,
});

export const vmSchema = strict({
    /** Existing hosts; deploys go one batch at a time and stop at the first failure. @default none (with vm.provision) */
    hosts: z.array(hostSchema).min(1, "declare at least one host").optional(),
    /** Make the host instead of using existing ones (exclusive with vm.hosts). @default none */
    provision: strict({ oci: ociProvisionSchema }).optional(),
    /** A jump host in front of the hosts. @default none */
    bastion: strict({
        address: z.string().min(1),
        user: z.string().default("deploy"),
        port: z.number().int().min(1).max(65535).default(22),
        hostKey: sshHostKey,
    }).optional(),
    /** Declared secret holding the SSH private key (`pulumi config set --secret <name> < key`). */
    sshKeySecret: z.string().min(1),
    /** Container runtime on the hosts. @default "docker" */
    runtime: z.enum(["docker", "podman"]).default("docker"),
    /** Hosts deployed at once. @default 1 */
    batchSize: z.number().int().min(1).max(100).default(1),
    /** nginx in front: server name, listen port, optional TLS files on the host. */
    nginx: strict({
        serverName: z.string().min(1),
        /** @default 443 with TLS files, else 80 */
        listen: z.number().int().min(1).max(65535).optional(),
        /** @default none (plain HTTP behind something that terminates TLS) */
        tlsCertificatePath: z.string().startsWith("/").optional(),
        /** @default none */
        tlsKeyPath: z.string().startsWith("/").optional(),
    }),
    /** Seconds the old color keeps serving in-flight requests after the switch. @default 10 */
    drainSeconds: z.number().int().min(0).max(600).default(10),
    /** Seconds the new color has to become ready. @default 30 (Kamal's deploy timeout) */
    healthTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
    /**
     * Seconds the previous color keeps running after a switch, so a rollback in that window is an
     * nginx switch (no container start); then the watchdog stops it, kept for rollback. The VM's
     * bake time, as `aws.bakeTimeMinutes` is ECS's; 0 stops it right after the drain.
     * @default 900
     */
    bakeSeconds: z.number().int().min(0).max(86400).default(900),
    /** Previous versions whose images stay on the host for rollback; older images are removed. @default 2 */
    keepVersions: z.number().int().min(1).max(10).default(2),
    /**
     * First two octets of the services' container networks: service i gets <prefix>.i.0/24, its
     * colors .10 and .11 with fixed MACs, and nginx reaches them directly (no published ports,
     * whose forwarding rules the runtime rewrites on every container start and stop).
     * @default "10.213"
     */
    networkPrefix: z
        .string()
        .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/, "must be two octets, e.g. 10.213")
        .default("10.213"),
    /** @default "unless-stopped" */
    restart: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped"),
    /** Registry login for private images: user, and the declared secret with its password. @default none (public images) */
    registry: strict({ user: z.string().min(1), passwordSecret: z.string().min(1) }).optional(),
    /** The health watchdog: interval, and a declared secret with a webhook URL. */
    watchdog: strict({
        intervalSeconds: z.number().int().min(10).max(3600).default(60),
        webhookSecret: z.string().min(1).optional(),
    }).default({ intervalSeconds: 60 }),
    /** An uptime alarm on the public URL through the cloud the stack already uses. @default none */
    monitoring: strict({ provider: z.enum(["aws", "gcp"]), url: z.url({ protocol: /^https?$/ }) }).optional(),
});

/** The host name the provisioned VM gets in resource names and outputs. */
export const PROVISIONED_HOST = "oci";

export type VmRaw = z.infer<typeof vmSchema>;
