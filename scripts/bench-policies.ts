/**
 * `npm run bench:policies`: the whole pack, evaluated offline, over each committed stack's graph
 * and over a synthetic graph of 1,000 resources (median of N runs). Target: <= 500 ms for the
 * 1,000-resource graph. A benchmark, not a test.
 */
import { policies } from "../policies/policies";
import { evaluatePack, type GraphResource } from "./policy-engine";
import { policyGraph, runOffline } from "./offline";
import { policyConfigFor, stackConfigOf } from "./policy-config";
import { CONFIG, cloudRun, cloudSql, rds, resource, taskDefinition, vmDeploy } from "./policy-fixtures";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { knownStacks } from "./plan";

const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timePack(
    graph: GraphResource[],
    config: Parameters<typeof evaluatePack>[2],
): Promise<{ ms: number; violations: number }> {
    const times: number[] = [];
    let violations = 0;
    for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        const e = await evaluatePack(policies, graph, config);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        violations = e.violations.length;
    }
    return { ms: Number(median(times).toFixed(1)), violations };
}

/** 1,000 resources in the proportions of a real stack: workloads, listeners, rules, alarms, databases. */
export function syntheticGraph(n: number): GraphResource[] {
    const make = [
        (i: number) => taskDefinition({}, { family: `svc-${i}` }),
        (i: number) =>
            resource("aws:lb/targetGroup:TargetGroup", `tg-${i}`, {
                targetType: "ip",
                port: 8080,
                healthCheck: {
                    enabled: true,
                    path: "/readiness",
                    interval: 15,
                    timeout: 5,
                    healthyThreshold: 3,
                    unhealthyThreshold: 3,
                },
                tags: { "service-deploy:service": "api" },
            }),
        (i: number) =>
            resource("aws:lb/listener:Listener", `l-${i}`, {
                port: 443,
                protocol: "HTTPS",
                sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            }),
        (i: number) =>
            resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", `r-${i}`, {
                ipProtocol: "tcp",
                fromPort: 5432,
                toPort: 5432,
                referencedSecurityGroupId: "sg-1",
            }),
        (i: number) =>
            resource("aws:cloudwatch/metricAlarm:MetricAlarm", `a-${i}`, {
                alarmActions: ["t"],
                metricName: "TargetResponseTime",
                dimensions: { ServiceName: "api" },
            }),
        (i: number) =>
            resource("aws:cloudwatch/metricAlarm:MetricAlarm", `e-${i}`, {
                alarmActions: ["t"],
                metricName: "HTTPCode_Target_5XX_Count",
                dimensions: { ServiceName: "api" },
            }),
        (i: number) => resource("aws:ecs/service:Service", `s-${i}`, { name: "api" }),
        () => cloudRun(),
        () => vmDeploy(),
        () => rds(),
        () => cloudSql(),
        (i: number) => resource("aws:ec2/subnet:Subnet", `subnet-${i}`, { cidrBlock: "10.0.0.0/20" }),
    ];
    return Array.from({ length: n }, (_, i) => make[i % make.length](i));
}

async function main() {
    if (process.argv[2] === "--stack") {
        // Child: one stack per process (the Pulumi runtime is process-global).
        const stack = process.argv[3];
        const result = await runOffline({ stack });
        if (result.error) throw result.error;
        const r = await timePack(policyGraph(result), {
            config: policyConfigFor(stackConfigOf(result.file)),
        });
        console.log(JSON.stringify({ stack, resources: result.resources.length, ...r }));
        return;
    }
    const rows: { graph: string; resources: number; ms: number; violations: number }[] = [];
    for (const stack of knownStacks()) {
        const r = spawnSync(
            process.execPath,
            ["--require", "./scripts/register.js", "scripts/bench-policies.ts", "--stack", stack],
            { cwd: path.resolve(__dirname, ".."), encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(r.stderr);
        const row = JSON.parse(r.stdout.trim().split("\n").pop()!);
        rows.push({
            graph: `stack ${stack}`,
            resources: row.resources,
            ms: row.ms,
            violations: row.violations,
        });
    }
    const synthetic = syntheticGraph(1000);
    rows.push({
        graph: "synthetic",
        resources: synthetic.length,
        ...(await timePack(synthetic, { config: CONFIG })),
    });
    for (const r of rows)
        console.log(
            `${r.graph.padEnd(18)} ${String(r.resources).padStart(5)} resources  ${String(r.ms).padStart(7)} ms  ${r.violations} violations${r.graph === "synthetic" ? (r.ms <= 500 ? "  within target (<= 500 ms)" : "  OVER TARGET (<= 500 ms)") : ""}`,
        );
    console.log(JSON.stringify({ runs, rows }));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
