/** Everything the stack puts on its VMs: one VmService per service, and the external uptime monitoring. */
import * as pulumi from "@pulumi/pulumi";
import type { Deployed } from "../evidence";
import { NOTIFY_EVENTS, PROJECT, type NormalizedService, type StackConfig } from "../config";
import { watchdogNotifyFile, type WatchdogDestination } from "./commands";
import { DEFAULT_RUNBOOK, resolveDestinations } from "../notifications";
import { resolveEnv } from "../contract";
import type { ServiceImage } from "../image";
import { VmService } from "./vm-service";
import { Uptime } from "./uptime";
import { OciHost } from "../oci/host";
import { OciMonitoring } from "../oci/monitoring";

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
    /** With vm.provision.oci: the VM's public IP, instance OCID and pinned host key. */
    publicIp?: pulumi.Output<string>;
    instanceId?: pulumi.Output<string>;
    hostKey?: pulumi.Output<string>;
}

/**
 * The watchdog's destinations: the stack's Slack, PagerDuty and webhook destinations, plus
 * `vm.watchdog.webhookSecret` (the older key) as a Slack destination unless a Slack destination
 * already uses that secret. Undefined when there is none.
 */
export function watchdogFile(
    cfg: StackConfig,
    secrets: Record<string, pulumi.Output<string>>,
): pulumi.Output<string> | undefined {
    const dests = resolveDestinations(cfg, secrets).filter((d) => d.type !== "email");
    const legacy = cfg.vm?.watchdog.webhookSecret;
    const covered = cfg.notifications.destinations.some(
        (d) => d.type === "slack" && d.webhookSecret === legacy,
    );
    type Part = { type: WatchdogDestination["type"]; events: string[]; secret: pulumi.Output<string> };
    const parts: Part[] =
        legacy && !covered ? [{ type: "slack", events: [...NOTIFY_EVENTS], secret: secrets[legacy] }] : [];
    for (const d of dests) {
        if (d.type === "slack" && d.webhookUrl)
            parts.push({ type: "slack", events: d.events, secret: d.webhookUrl });
        else if (d.type === "pagerduty")
            parts.push({ type: "pagerduty", events: d.events, secret: d.integrationKey });
        else if (d.type === "webhook") parts.push({ type: "webhook", events: d.events, secret: d.url });
    }
    if (parts.length === 0) return undefined;
    return pulumi.secret(
        pulumi.all(parts.map((p) => p.secret)).apply((values) =>
            watchdogNotifyFile(
                parts.map((p, i) => ({ type: p.type, events: p.events, secret: values[i] })),
                { environment: cfg.environment, runbookUrl: cfg.notifications.runbookUrl ?? DEFAULT_RUNBOOK },
            ),
        ),
    );
}

export class VmTarget extends pulumi.ComponentResource {
    public readonly services: Record<string, VmServiceOutputs> = {};

    constructor(name: string, args: VmTargetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:vm:VmTarget", name, {}, opts);
        const cfg = args.config;
        const vm = cfg.vm!;
        const oci = vm.provision?.oci;
        const tags = {
            "service-deploy-stack": pulumi.getStack(),
            "service-deploy-environment": cfg.environment,
        };
        const provisioned = oci
            ? new OciHost(
                  `${name}-oci`,
                  {
                      oci,
                      runtime: vm.runtime,
                      serverName: vm.nginx.serverName,
                      tlsCertificatePath: vm.nginx.tlsCertificatePath!,
                      tlsKeyPath: vm.nginx.tlsKeyPath!,
                      tlsFiles:
                          oci.tls.mode === "files"
                              ? {
                                    certificate: args.secrets[oci.tls.certificateSecret],
                                    key: args.secrets[oci.tls.keySecret],
                                }
                              : undefined,
                      sshPrivateKey: args.secrets[vm.sshKeySecret],
                      freeformTags: tags,
                  },
                  { parent: this },
              )
            : undefined;
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
                    // The watchdog's destinations file (deploy.sh notify()), kept in the webhook file.
                    webhookUrl: watchdogFile(cfg, args.secrets),
                    hosts: provisioned ? [provisioned.host] : undefined,
                    after: provisioned ? [provisioned.ready] : undefined,
                },
                { parent: this },
            );
            if (oci) {
                new OciMonitoring(
                    `${name}-${svc.name}-oci-uptime`,
                    {
                        compartmentId: oci.compartmentId,
                        serviceName: svc.name,
                        url: service.url,
                        healthPath: svc.health.health,
                        destinations: resolveDestinations(cfg, args.secrets),
                        p95LatencyMs: cfg.alarms.p95LatencyMs,
                        freeformTags: tags,
                    },
                    { parent: this },
                );
            }
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
                hosts: provisioned ? [provisioned.host.name] : (vm.hosts ?? []).map((h) => h.name),
                deployed: service.deployed,
                ...(provisioned
                    ? {
                          publicIp: provisioned.publicIp,
                          instanceId: provisioned.instanceId,
                          hostKey: provisioned.host.hostKey,
                      }
                    : {}),
            };
        });
        this.registerOutputs({});
    }
}
