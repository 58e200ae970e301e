/**
 * Health checks agree with the app: load balancers and startup probes wait on readiness, liveness
 * probes check liveness (never the default TCP probe, which passes before the app is ready: SD-015),
 * the VM deploy waits on readiness, and every threshold is within its platform's limits.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import { ofType, type PolicyOptions } from "./common";
import { contractsSchema, schemaOf, vmFlags, vmWorkloads, type Contracts, contractsOf } from "./lib";

const readinessOf = (contracts: Contracts, service?: string) =>
    (service && contracts[service]?.health?.readiness) || "/readiness";
const livenessOf = (contracts: Contracts, service?: string) =>
    (service && contracts[service]?.health?.liveness) || "/liveness";

/** ALB target group health check problems. Pure. */
export function targetGroupProblems(hc: Record<string, any> | undefined, readiness: string): string[] {
    if (!hc || hc.enabled === false) return ["health checks are disabled"];
    const out: string[] = [];
    if (hc.path !== readiness)
        out.push(`checks ${hc.path ?? "/ (the default)"} instead of the readiness path ${readiness}`);
    const interval = hc.interval ?? 30,
        timeout = hc.timeout ?? 5;
    if (interval < 5 || interval > 300) out.push(`interval ${interval}s is outside 5-300`);
    if (timeout < 2 || timeout > 120) out.push(`timeout ${timeout}s is outside 2-120`);
    if (timeout >= interval) out.push(`timeout ${timeout}s must be shorter than the interval ${interval}s`);
    for (const k of ["healthyThreshold", "unhealthyThreshold"]) {
        const v = hc[k] ?? (k === "healthyThreshold" ? 5 : 2);
        if (v < 2 || v > 10) out.push(`${k} ${v} is outside 2-10`);
    }
    return out;
}

/** Cloud Run v2 probe problems for one container. Pure. */
export function cloudRunProbeProblems(c: Record<string, any>, readiness: string, liveness: string): string[] {
    const out: string[] = [];
    const sp = c.startupProbe,
        lp = c.livenessProbe;
    if (!sp?.httpGet)
        out.push("has no HTTP startup probe (the default TCP probe passes before the app is ready)");
    else if (sp.httpGet.path !== readiness)
        out.push(`startup probe checks ${sp.httpGet.path ?? "/"} instead of the readiness path ${readiness}`);
    if (!lp?.httpGet) out.push("has no HTTP liveness probe");
    else if (lp.httpGet.path !== liveness)
        out.push(`liveness probe checks ${lp.httpGet.path ?? "/"} instead of the liveness path ${liveness}`);
    for (const [probe, p] of [
        ["startup", sp],
        ["liveness", lp],
    ] as const) {
        if (!p) continue;
        const period = p.periodSeconds ?? 10,
            timeout = p.timeoutSeconds ?? 1;
        if (probe === "startup" && period > 240)
            out.push(`startup probe periodSeconds ${period} exceeds Cloud Run's 240`);
        if (probe === "liveness" && period > 3600)
            out.push(`liveness probe periodSeconds ${period} exceeds Cloud Run's 3600`);
        if ((p.initialDelaySeconds ?? 0) > 240)
            out.push(`${probe} probe initialDelaySeconds ${p.initialDelaySeconds} exceeds Cloud Run's 240`);
        if (timeout > period)
            out.push(`${probe} probe timeoutSeconds ${timeout} exceeds its periodSeconds ${period}`);
        if ((p.failureThreshold ?? 3) < 1) out.push(`${probe} probe failureThreshold must be at least 1`);
    }
    return out;
}

export function healthChecksConsistent(
    name = "health-checks-consistent",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description:
            "Load balancers and startup probes check readiness, liveness probes check liveness, the VM deploy waits on readiness, thresholds within platform limits.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({ contracts: contractsSchema }),
        validateResource: [
            ofType("aws:lb/targetGroup:TargetGroup", (p, args, report) => {
                if (p.targetType === "lambda") return;
                const contracts = contractsOf(args);
                for (const problem of targetGroupProblems(
                    p.healthCheck,
                    readinessOf(contracts, p.tags?.["service-deploy:service"]),
                ))
                    report(cite("SD-015", `target group "${args.name}": ${problem}.`));
            }),
            ofType("gcp:cloudrunv2/service:Service", (p, args, report) => {
                const contracts = contractsOf(args);
                for (const c of p.template?.containers ?? []) {
                    const svc = c.name ?? p.name;
                    for (const problem of cloudRunProbeProblems(
                        c,
                        readinessOf(contracts, svc),
                        livenessOf(contracts, svc),
                    ))
                        report(
                            cite(
                                "SD-015",
                                `Cloud Run service "${args.name}": container "${svc}" ${problem}.`,
                            ),
                        );
                }
            }),
            ofType("command:remote:Command", (p, args, report) => {
                for (const w of vmWorkloads(p)) {
                    const contracts = contractsOf(args);
                    const want = readinessOf(contracts, w.service);
                    const got = vmFlags(p.create)["readiness-path"]?.[0];
                    if (got !== want)
                        report(
                            cite(
                                "SD-015",
                                `VM deploy "${args.name}": waits on ${got ?? "nothing (no --readiness-path)"} instead of the readiness path ${want}.`,
                            ),
                        );
                }
            }),
        ],
    };
}
