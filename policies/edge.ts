/**
 * The edge: HTTP only redirects to HTTPS, HTTPS is TLS 1.2+, no security group opens a database
 * port to the world, and a deleted production secret can be restored for at least 7 days.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import { ofType, type PolicyOptions } from "./common";
import { isProduction, productionSchema, schemaOf } from "./lib";

export const TLS12_POLICIES = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;
const WORLD = ["0.0.0.0/0", "::/0"];

interface EdgeConfig {
    databasePorts?: number[];
    minRecoveryWindowDays?: number;
}

const covers = (
    from: number | undefined,
    to: number | undefined,
    protocol: string | undefined,
    port: number,
) => protocol === "-1" || protocol === "all" || ((from ?? 0) <= port && port <= (to ?? 65535));

export function edgeSecurity(name = "edge-security", opts: PolicyOptions = {}): ResourceValidationPolicy {
    const ports = (c: EdgeConfig) => c.databasePorts ?? [5432, 3306];
    return {
        name,
        description:
            "ALB HTTP listeners only redirect to HTTPS; HTTPS uses TLS 1.2+; no database port open to 0.0.0.0/0; production secrets keep a 7+ day recovery window.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({
            ...productionSchema,
            databasePorts: { type: "array", items: { type: "integer" }, default: [5432, 3306] },
            minRecoveryWindowDays: { type: "integer", default: 7, minimum: 7, maximum: 30 },
        }),
        validateResource: [
            ofType("aws:lb/listener:Listener", (p, args, report) => {
                if (p.protocol === "HTTP") {
                    const actions: any[] = p.defaultActions ?? [];
                    if (
                        actions.length === 0 ||
                        actions.some((a) => a.type !== "redirect" || a.redirect?.protocol !== "HTTPS")
                    ) {
                        report(
                            cite(
                                "SD-013",
                                `ALB listener "${args.name}" on port ${p.port} serves plain HTTP; its only action must redirect to HTTPS (type: redirect, protocol: HTTPS).`,
                            ),
                        );
                    }
                }
                if (p.protocol === "HTTPS" && !TLS12_POLICIES.test(p.sslPolicy ?? "")) {
                    report(
                        cite(
                            "SD-013",
                            `ALB listener "${args.name}" uses TLS policy ${p.sslPolicy ?? "ELBSecurityPolicy-2016-08 (the default, allows TLS 1.0)"}; use a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.`,
                        ),
                    );
                }
            }),
            ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", (p, args, report) => {
                const cidr = p.cidrIpv4 ?? p.cidrIpv6;
                for (const port of ports(args.getConfig<EdgeConfig>())) {
                    if (WORLD.includes(cidr) && covers(p.fromPort, p.toPort, p.ipProtocol, port))
                        report(
                            cite(
                                "SD-012",
                                `security group rule "${args.name}" opens database port ${port} to ${cidr}; allow only the workloads' security group.`,
                            ),
                        );
                }
            }),
            ofType("aws:ec2/securityGroupRule:SecurityGroupRule", (p, args, report) => {
                if (p.type !== "ingress") return;
                const cidrs = [...(p.cidrBlocks ?? []), ...(p.ipv6CidrBlocks ?? [])];
                for (const port of ports(args.getConfig<EdgeConfig>())) {
                    for (const cidr of cidrs.filter((c) => WORLD.includes(c))) {
                        if (covers(p.fromPort, p.toPort, p.protocol, port))
                            report(
                                cite(
                                    "SD-012",
                                    `security group rule "${args.name}" opens database port ${port} to ${cidr}; allow only the workloads' security group.`,
                                ),
                            );
                    }
                }
            }),
            ofType("aws:ec2/securityGroup:SecurityGroup", (p, args, report) => {
                for (const rule of p.ingress ?? []) {
                    const cidrs = [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])].filter(
                        (c: string) => WORLD.includes(c),
                    );
                    for (const port of ports(args.getConfig<EdgeConfig>())) {
                        for (const cidr of cidrs)
                            if (covers(rule.fromPort, rule.toPort, rule.protocol, port))
                                report(
                                    cite(
                                        "SD-012",
                                        `security group "${args.name}" opens database port ${port} to ${cidr} (inline ingress); allow only the workloads' security group.`,
                                    ),
                                );
                    }
                }
            }),
            ofType("aws:secretsmanager/secret:Secret", (p, args, report) => {
                if (!isProduction(args)) return;
                const min = args.getConfig<EdgeConfig>().minRecoveryWindowDays ?? 7;
                const days = p.recoveryWindowInDays ?? 30;
                if (days < min)
                    report(
                        cite(
                            "SD-014",
                            `Secrets Manager secret "${args.name}" has a recovery window of ${days} days${days === 0 ? " (deleted at once)" : ""}; production keeps at least ${min}.`,
                        ),
                    );
            }),
        ],
    };
}
