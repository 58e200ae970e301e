/** Everything the stack puts on its VMs: one VmService per service, and the external uptime monitoring. */
import * as pulumi from "@pulumi/pulumi";
import type { Deployed } from "../evidence";
import { PROJECT, type NormalizedService, type StackConfig } from "../config";
import { DEFAULT_RUNBOOK, resolveDestinations } from "../notifications";
import { resolveEnv } from "../contract";
import type { ServiceImage } from "../image";
import { VmService } from "./vm-service";
import { Uptime } from "./uptime";

export interface VmTargetArgs {
    config: StackConfig;
    services: NormalizedService[];
    images: Record<string, ServiceImage>;
    secrets: Record<string, pulumi.Output<string>>;
}

export interface VmServiceOutputs {
    url: string;
    image: pulumi.Output<string>;
    activeColors: pulumi.Output<Record<string, string>>;
    hosts: string[];
    /** Health evidence for promotion (components/evidence.ts). */
    deployed: pulumi.Output<Deployed>;
}

export class VmTarget extends pulumi.ComponentResource {
    public readonly services: Record<string, VmServiceOutputs> = {};

    constructor(name: string, args: VmTargetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:vm:VmTarget", name, {}, opts);
        const cfg = args.config;
        const vm = cfg.vm!;
        args.services.forEach((svc, index) => {
            const env = resolveEnv(svc.env, {
                servicePort: svc.port,
                environment: cfg.environment,
                secrets: args.secrets,
            });
            const image = args.images[svc.name];
            const service = new VmService(
                `${name}-${svc.name}`,
                {
                    service: svc,
                    vm,
                    index,
                    imageRef: image.ref,
                    imagePlatforms: image.platforms,
                    plainEnv: env.plain,
                    secretEnv: env.secret,
                    sshPrivateKey: args.secrets[vm.sshKeySecret],
                    registryPassword: vm.registry ? args.secrets[vm.registry.passwordSecret] : undefined,
                    webhookUrl: vm.watchdog.webhookSecret
                        ? args.secrets[vm.watchdog.webhookSecret]
                        : undefined,
                },
                { parent: this },
            );
            if (vm.monitoring) {
                new Uptime(
                    `${name}-${svc.name}-uptime`,
                    {
                        provider: vm.monitoring.provider,
                        serviceName: svc.name,
                        url: vm.monitoring.url,
                        healthPath: svc.health.health,
                        destinations: resolveDestinations(cfg, args.secrets),
                        prefix: `${PROJECT}-${pulumi.getStack()}`,
                        environment: cfg.environment,
                        runbookUrl: cfg.notifications.runbookUrl ?? DEFAULT_RUNBOOK,
                        p95LatencyMs: cfg.alarms.p95LatencyMs,
                        gcpProject: cfg.gcpLocation?.project,
                    },
                    { parent: this },
                );
            }
            this.services[svc.name] = {
                url: service.url,
                image: image.ref,
                activeColors: service.activeColors,
                hosts: vm.hosts.map((h) => h.name),
                deployed: service.deployed,
            };
        });
        this.registerOutputs({});
    }
}
