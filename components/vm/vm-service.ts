/**
 * One service on one or more VMs over SSH (docker or podman behind nginx), deployed by the host
 * script deploy.sh with the command lines commands.ts builds:
 * - per host: a prepare command (0700 secrets dir), the script with its parts (host/*.sh) and
 *   the 0600 env file copied with `remote.CopyToRemote`, then the deploy `remote.Command`;
 * - hosts go one batch at a time: each batch's deploys depend on the previous batch's, so the
 *   first failure stops the rollout and later hosts stay on the old version;
 * - the image digest is in the deploy's `create` line, so a new digest is an update (the create
 *   line runs again; the host script does the blue-green), never a replacement; the env file's
 *   content reaches the line only as an HMAC under a per-service random key (`--env-version`);
 * - `delete` tears the service down, and `deleteBeforeReplace` keeps a replacement (a changed
 *   connection) from deleting the freshly deployed service after creating it;
 * - secrets: the env file travels as a secret asset, the registry password on stdin, nothing on
 *   a command line or in SSH environment; `logging: stderr` with stdout and stderr as
 *   additional secret outputs.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { vmDeployed, type Deployed } from "../evidence";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import type { NormalizedService, StackConfig } from "../config";
import {
    deployCommand,
    envFileContent,
    hostPaths,
    hostScriptFiles,
    parseActive,
    prepareCommand,
    removeCommand,
    watchdogInstallCommand,
    type DeployOptions,
    type HostOptions,
} from "./commands";

type VmConfig = NonNullable<StackConfig["vm"]>;

export interface VmServiceArgs {
    service: NormalizedService;
    vm: VmConfig;
    /** Index of the service among the stack's VM services (decides its loopback ports). */
    index: number;
    imageRef: pulumi.Input<string>;
    imagePlatforms: pulumi.Input<string[]>;
    plainEnv: Record<string, pulumi.Input<string>>;
    secretEnv: Record<string, pulumi.Output<string>>;
    sshPrivateKey: pulumi.Output<string>;
    /** @default undefined (no login) */
    registryPassword?: pulumi.Output<string>;
    /** @default undefined (no webhook) */
    webhookUrl?: pulumi.Output<string>;
    /** Hosts made by the stack (vm.provision), instead of vm.hosts. @default vm.hosts */
    hosts?: {
        name: string;
        address: pulumi.Input<string>;
        user: string;
        port: number;
        hostKey: pulumi.Input<string>;
    }[];
    /** What must finish before the first command on any host (the provisioned host's cloud-init). @default [] */
    after?: pulumi.Resource[];
}

/** The container network of the index-th VM service: `<prefix>.<index>.0/24`. Pure. */
export function serviceSubnet(prefix: string, index: number): string {
    if (index > 255) throw new Error("at most 256 VM services per stack");
    return `${prefix}.${index}.0/24`;
}

/** Hosts grouped in deploy batches, in order. Pure. */
export function batches<T>(hosts: T[], size: number): T[][] {
    return Array.from({ length: Math.ceil(hosts.length / size) }, (_, i) =>
        hosts.slice(i * size, (i + 1) * size),
    );
}

/** HMAC of the env file's content: changes with it, reveals nothing of it. Pure. */
export function envVersion(key: string, content: string): string {
    return crypto.createHmac("sha256", key).update(content).digest("hex").slice(0, 16);
}

/** The deploy options of a service, except the image, env and host-specific parts. Pure. */
export function deployOptions(
    svc: NormalizedService,
    vm: VmConfig,
    index: number,
): Omit<DeployOptions, "image" | "imagePlatforms" | "envPlain" | "envSecret"> & HostOptions {
    return {
        service: svc.name,
        arch: svc.architecture,
        runtime: vm.runtime,
        port: svc.port,
        subnet: serviceSubnet(vm.networkPrefix, index),
        readinessPath: svc.health.readiness,
        livenessPath: svc.health.liveness,
        healthPath: svc.health.health,
        memory: `${svc.memoryMiB}m`,
        cpus: String(svc.vcpu),
        restart: vm.restart,
        drainSeconds: vm.drainSeconds,
        bakeSeconds: vm.bakeSeconds,
        healthTimeoutSeconds: vm.healthTimeoutSeconds,
        keep: vm.keepVersions,
        lockTimeoutSeconds: 120,
        listen: vm.nginx.listen ?? (vm.nginx.tlsCertificatePath ? 443 : 80),
        serverName: vm.nginx.serverName,
        tlsCert: vm.nginx.tlsCertificatePath,
        tlsKey: vm.nginx.tlsKeyPath,
        registryUser: vm.registry?.user,
    };
}

export interface HostDeploy {
    host: string;
    command: command.remote.Command;
    activeColor: pulumi.Output<string>;
}

export class VmService extends pulumi.ComponentResource {
    public readonly url: string;
    public readonly digest: pulumi.Output<string>;
    public readonly hosts: HostDeploy[] = [];
    /** Host name -> active color after this deploy. */
    public readonly activeColors: pulumi.Output<Record<string, string>>;
    /** Health evidence for promotion (components/evidence.ts). */
    public readonly deployed: pulumi.Output<Deployed>;

    constructor(name: string, args: VmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:vm:VmService", name, {}, opts);
        const { service: svc, vm } = args;
        const paths = hostPaths(svc.name);
        const base = deployOptions(svc, vm, args.index);
        const envKey = new random.RandomPassword(
            `${name}-env-key`,
            { length: 32, special: false },
            { parent: this },
        );
        const env = pulumi.secret(
            pulumi
                .all([pulumi.output(args.plainEnv), pulumi.output(args.secretEnv)])
                .apply(([p, s]) => envFileContent({ ...p, ...s } as Record<string, string>)),
        );
        const version = pulumi.unsecret(pulumi.all([envKey.result, env]).apply(([k, c]) => envVersion(k, c)));
        const scheme = vm.nginx.tlsCertificatePath ? "https" : "http";
        this.url = `${scheme}://${vm.nginx.serverName}`;
        this.digest = pulumi.output(args.imageRef).apply((r) => r.split("@")[1]);

        let previousBatch: pulumi.Resource[] = [];
        for (const batch of batches(args.hosts ?? vm.hosts ?? [], vm.batchSize)) {
            const thisBatch: pulumi.Resource[] = [];
            for (const host of batch) {
                const n = `${name}-${host.name}`;
                // A non-root user reaches root through the host model's one sudo line (docs/vm.md).
                const onHost = { ...base, sudo: host.user !== "root" };
                const connection: command.types.input.remote.ConnectionArgs = {
                    host: host.address,
                    port: host.port,
                    user: host.user,
                    hostKey: host.hostKey,
                    privateKey: args.sshPrivateKey,
                    proxy: vm.bastion
                        ? {
                              host: vm.bastion.address,
                              port: vm.bastion.port,
                              user: vm.bastion.user,
                              hostKey: vm.bastion.hostKey,
                              privateKey: args.sshPrivateKey,
                          }
                        : undefined,
                    dialErrorLimit: 5,
                };
                const quiet = { logging: "stderr" as const };
                const prepare = new command.remote.Command(
                    `${n}-prepare`,
                    { connection, create: prepareCommand(paths), ...quiet },
                    { parent: this, dependsOn: args.after },
                );
                // The script and the parts it sources, each copied alike; the script keeps its
                // logical name, a part is `${n}-script-<part>`. The script lands after its parts,
                // so the watchdog's timer never starts a new script whose parts are missing.
                const copyFile = (
                    file: { source: string; remotePath: string },
                    logical: string,
                    after: pulumi.Resource[],
                ) =>
                    new command.remote.CopyToRemote(
                        logical,
                        {
                            connection,
                            source: new pulumi.asset.FileAsset(path.join(__dirname, file.source)),
                            remotePath: file.remotePath,
                        },
                        { parent: this, dependsOn: after },
                    );
                const [main, ...partFiles] = hostScriptFiles(paths);
                const parts = partFiles.map((f) =>
                    copyFile(f, `${n}-script-${path.basename(f.source, ".sh")}`, [prepare]),
                );
                const script = [copyFile(main, `${n}-script`, [prepare, ...parts]), ...parts];
                const envFile = new command.remote.CopyToRemote(
                    `${n}-env`,
                    {
                        connection,
                        source: pulumi.secret(env.apply((c) => new pulumi.asset.StringAsset(c))),
                        remotePath: paths.envFile,
                    },
                    { parent: this, dependsOn: [prepare] },
                );
                const extra: pulumi.Resource[] = [];
                if (args.webhookUrl) {
                    extra.push(
                        new command.remote.CopyToRemote(
                            `${n}-webhook`,
                            {
                                connection,
                                source: pulumi.secret(
                                    args.webhookUrl.apply((u) => new pulumi.asset.StringAsset(u)),
                                ),
                                remotePath: paths.webhookFile,
                            },
                            { parent: this, dependsOn: [prepare] },
                        ),
                    );
                }
                const create = pulumi
                    .all([args.imageRef, args.imagePlatforms, version])
                    .apply(([image, platforms, v]) =>
                        deployCommand(paths, {
                            ...onHost,
                            image,
                            imagePlatforms: platforms,
                            envVersion: v,
                            envPlain: Object.keys(args.plainEnv).sort(),
                            envSecret: Object.keys(args.secretEnv).sort(),
                        }),
                    );
                const deploy = new command.remote.Command(
                    `${n}-deploy`,
                    {
                        connection,
                        create,
                        delete: removeCommand(paths, onHost),
                        stdin: args.registryPassword,
                        ...quiet,
                    },
                    {
                        parent: this,
                        dependsOn: [...script, envFile, ...extra, ...previousBatch],
                        deleteBeforeReplace: true,
                        additionalSecretOutputs: ["stdout", "stderr"],
                    },
                );
                new command.remote.Command(
                    `${n}-watchdog`,
                    {
                        connection,
                        create: watchdogInstallCommand(paths, {
                            ...onHost,
                            healthPath: svc.health.health,
                            intervalSeconds: vm.watchdog.intervalSeconds,
                        }),
                        ...quiet,
                    },
                    { parent: this, dependsOn: [deploy], additionalSecretOutputs: ["stdout", "stderr"] },
                );
                // The last line names the color only; it carries no secret, so it is unwrapped for outputs.
                const activeColor = pulumi.unsecret(
                    deploy.stdout.apply((o) => parseActive(o)?.color ?? "unknown"),
                );
                this.hosts.push({ host: host.name, command: deploy, activeColor });
                thisBatch.push(deploy);
            }
            previousBatch = thisBatch;
        }
        this.activeColors = pulumi
            .all(this.hosts.map((h) => h.activeColor))
            .apply((colors) => Object.fromEntries(this.hosts.map((h, i) => [h.host, colors[i]])));
        // Only the parsed ACTIVE line leaves the secret stdout: a color and a digest.
        this.deployed = pulumi.unsecret(
            pulumi.all([this.digest, ...this.hosts.map((h) => h.command.stdout)]).apply(([digest, ...outs]) =>
                vmDeployed({
                    digest,
                    hosts: this.hosts.map((h, i) => ({ host: h.host, active: parseActive(outs[i]) })),
                }),
            ),
        );
        this.registerOutputs({
            url: this.url,
            digest: this.digest,
            activeColors: this.activeColors,
            deployed: this.deployed,
        });
    }
}
