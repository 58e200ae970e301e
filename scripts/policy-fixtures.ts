/**
 * (Shared by the policy tests and `npm run bench:policies`.)
 * Policy fixtures are the program's real output: each committed stack is run under mocks
 * (scripts/offline.ts `runOffline`, in a child process, because the Pulumi runtime is
 * process-global) and a fixture is one resource of that graph, deep-copied, with the one field a
 * test changes laid over it. A fixture can therefore never differ from what the program writes.
 *
 * The graphs come from scripts/policy-graph.ts.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import type { PolicyPackConfig } from "@pulumi/policy";
import type { GraphResource } from "./policy-engine";
import { ROOT } from "./offline";
import { policyConfigFor, stackConfigOf } from "./policy-config";

/** The stack each target's fixtures come from: its staging and production stacks. */
export const FIXTURE_STACKS = {
    aws: "staging",
    awsProduction: "production",
    gcp: "gcp-staging",
    gcpProduction: "gcp-production",
    vm: "vm-staging",
} as const;

const graphs = new Map<string, GraphResource[]>();

/** The policy graph of a committed stack, as the offline plan evaluates it. Cached per process. */
export function realGraph(stack: string): GraphResource[] {
    let g = graphs.get(stack);
    if (!g) {
        const out = execFileSync(
            process.execPath,
            [
                "--require",
                path.join(ROOT, "scripts", "register.js"),
                path.join(ROOT, "scripts", "policy-graph.ts"),
                stack,
            ],
            { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
        );
        g = JSON.parse(out) as GraphResource[];
        graphs.set(stack, g);
    }
    return structuredClone(g);
}

/** The policy config the offline plan generates for a committed stack. */
export function realPolicyConfig(stack: string): PolicyPackConfig {
    return policyConfigFor(stackConfigOf(path.join(ROOT, `Pulumi.${stack}.yaml`)));
}

/** One resource of a stack's real graph (a deep copy), by type and optionally a name test. */
export function realResource(stack: string, type: string, name?: (n: string) => boolean): GraphResource {
    const r = realGraph(stack).find((x) => x.type === type && (!name || name(x.name)));
    if (!r) throw new Error(`stack ${stack} has no ${type}${name ? ` matching ${name}` : ""}`);
    return r;
}

/** A copy of a real resource with `props` laid over its inputs (undefined deletes a field). */
export function withProps(r: GraphResource, props: Record<string, any>): GraphResource {
    const next = { ...r.props };
    for (const [k, v] of Object.entries(props)) {
        if (v === undefined) delete next[k];
        else next[k] = v;
    }
    return { ...r, props: next, state: { ...r.state, ...next } };
}

/** The policy config of the production stacks: contracts, and production: true. */
export const CONFIG: PolicyPackConfig = realPolicyConfig(FIXTURE_STACKS.awsProduction);
/** The contracts the committed stacks' policy config carries. */
export const CONTRACTS = (CONFIG["env-contract-complete"] as { contracts: Record<string, any> }).contracts;

/** Override the first container of an ECS task definition from the AWS staging stack. */
export interface Container {
    name?: string;
    image?: string;
    environment?: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
}

const realTaskDefinition = () =>
    realResource(FIXTURE_STACKS.aws, "aws:ecs/taskDefinition:TaskDefinition", (n) => n.endsWith("-task"));

/** The real task definition's first container. */
export const ecsContainer = (c: Container = {}) => ({
    ...JSON.parse(realTaskDefinition().props.containerDefinitions)[0],
    ...c,
});

export const taskDefinition = (c: Container = {}, props: Record<string, any> = {}) =>
    withProps(realTaskDefinition(), { containerDefinitions: JSON.stringify([ecsContainer(c)]), ...props });

const realCloudRun = () => realResource(FIXTURE_STACKS.gcp, "gcp:cloudrunv2/service:Service");

/** The real Cloud Run service's first container. */
export const cloudRunContainer = (c: Record<string, any> = {}) => ({
    ...realCloudRun().props.template.containers[0],
    ...c,
});

export const cloudRun = (c: Record<string, any> = {}, props: Record<string, any> = {}) => {
    const r = realCloudRun();
    return withProps(r, {
        template: { ...r.props.template, containers: [cloudRunContainer(c)] },
        ...props,
    });
};

const realVmDeploy = () =>
    realResource(FIXTURE_STACKS.vm, "command:remote:Command", (n) => n.endsWith("-deploy"));

/** The VM deploy command exactly as the program writes it. */
export const VM_CREATE: string = realVmDeploy().props.create;

export const vmDeploy = (props: Record<string, any> = {}, options?: GraphResource["options"]) => {
    const r = withProps(realVmDeploy(), props);
    return options ? { ...r, options } : r;
};

/** Images each target's real workload runs. */
export const IMAGE: string = JSON.parse(realTaskDefinition().props.containerDefinitions)[0].image;
export const VM_IMAGE: string = /--image='([^']+)'/.exec(VM_CREATE)?.[1] ?? "";
export const CLOUD_RUN_IMAGE: string = realCloudRun().props.template.containers[0].image;

/** The AWS staging stack's image build. */
export const imageBuild = (props: Record<string, any> = {}) =>
    withProps(realResource(FIXTURE_STACKS.aws, "docker-build:index:Image"), props);

export const rds = (props: Record<string, any> = {}) =>
    withProps(realResource(FIXTURE_STACKS.awsProduction, "aws:rds/instance:Instance"), props);

export const cloudSql = (settings: Record<string, any> = {}, props: Record<string, any> = {}) => {
    const r = realResource(FIXTURE_STACKS.gcpProduction, "gcp:sql/databaseInstance:DatabaseInstance");
    return withProps(r, { settings: { ...r.props.settings, ...settings }, ...props });
};

/** A resource of a committed stack's real graph by its exact logical name, with `props` laid over. */
export const realNamed = (stack: string, type: string, name: string, props: Record<string, any> = {}) =>
    withProps(
        realResource(stack, type, (n) => n === name),
        props,
    );

/** A real resource with its links to other resources removed (what an unlinked one looks like). */
export const unlinked = (r: GraphResource): GraphResource => ({
    ...r,
    propertyDependencies: {},
    dependencies: [],
});

const P = FIXTURE_STACKS.awsProduction;
/** The AWS production stack's ALB listeners: `http` (redirects), `https`, `test` (8443). */
export const listener = (role: "http" | "https" | "test", props: Record<string, any> = {}) =>
    realNamed(P, "aws:lb/listener:Listener", `aws-api-${role}`, props);
/** Its ingress rules: `db` (5432 from the tasks' group), `https` (443 from anywhere). */
export const ingressRule = (role: "db" | "https", props: Record<string, any> = {}) =>
    realNamed(
        P,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        role === "db" ? "aws-pg-db-from-api" : "aws-api-alb-https",
        props,
    );
/** Its database security group (rules are separate resources; `ingress` is inline). */
export const databaseSecurityGroup = (props: Record<string, any> = {}) =>
    realNamed(P, "aws:ec2/securityGroup:SecurityGroup", "aws-pg-db", props);
/** Its service's env secret in Secrets Manager. */
export const envSecret = (props: Record<string, any> = {}) =>
    realNamed(P, "aws:secretsmanager/secret:Secret", "aws-api-env", props);
/** Its blue target group. */
export const targetGroup = (props: Record<string, any> = {}) =>
    realNamed(P, "aws:lb/targetGroup:TargetGroup", "aws-api-blue", props);
/** One of its service alarms, by role: `rollback-5xx`, `rollback-p95`, `cpu`, ... */
export const serviceAlarm = (role: string, props: Record<string, any> = {}) =>
    realNamed(P, "aws:cloudwatch/metricAlarm:MetricAlarm", `aws-api-alarms-${role}`, props);
/** Its ECS service, linked to its rollback alarms as the program writes it. */
export const ecsService = (props: Record<string, any> = {}) =>
    realNamed(P, "aws:ecs/service:Service", "aws-api-service", props);
/** The alarms and checks the program writes for a stack's service (alert policies, uptime). */
export const alarmsOf = (stack: string): GraphResource[] =>
    realGraph(stack).filter((r) =>
        [
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:route53/healthCheck:HealthCheck",
            "gcp:monitoring/alertPolicy:AlertPolicy",
        ].includes(r.type),
    );

let n = 0;
/**
 * A resource of a shape the program does not write (another program's listener, a rule this
 * project never creates): only for policies that must also guard other programs.
 */
export function resource(
    type: string,
    name: string,
    props: Record<string, any>,
    extra: Partial<GraphResource> = {},
): GraphResource {
    n++;
    return {
        urn: `urn:pulumi:test::proj::${type}::${name}`,
        type,
        name,
        props,
        state: { ...props, id: `${name}-${n}` },
        options: {},
        dependencies: [],
        propertyDependencies: {},
        ...extra,
    };
}

/** `s` with `from` replaced by `to`; throws when `from` is absent (a no-op edit would test nothing). */
export function replaced(s: string, from: string | RegExp, to: string): string {
    const found = typeof from === "string" ? s.includes(from) : from.test(s);
    if (!found)
        throw new Error(`fixture edit: ${String(from)} is not in ${JSON.stringify(s.slice(0, 120))}...`);
    return s.replace(from, to);
}

/** The real VM deploy command with one edit. */
export const vmCreate = (from: string | RegExp, to: string) => replaced(VM_CREATE, from, to);
