/**
 * One picture per target of how a request travels and what protects it, drawn from the offline
 * graph (`runOffline` over a committed stack) by grouping resources into components:
 * `npm run diagrams` writes them into docs/architecture.md; `npm run plan -- --mermaid` still
 * prints the full resource graph.
 *
 * - A component stands for the resources its `match` selects (by type and logical name). It is
 *   drawn only when at least one resource matches, and its label is read from those resources
 *   (ports, health check paths, counts), never from a secret: inputs are redacted first.
 *   An `external` component (the user, an existing database) has no resource of its own and is
 *   drawn when a component it links to is.
 * - A link is drawn only when the graph backs it: a resource of one end depends on a resource of
 *   the other (either way: a dependency points against the request), or both ends hold the same
 *   resource, or, with `via`, both ends are linked to that component. So an arrow that the program
 *   stops wiring disappears from the picture.
 * - `request` links are the way a request travels (solid arrows, in the request's direction);
 *   `guard` links are what protects or watches it (dotted arrows with a label).
 * - Every resource of the graph must belong to some component (`unplaced` lists the others), so
 *   a resource the program adds cannot go missing from the picture unnoticed.
 */
import * as path from "node:path";
import type { RecordedResource } from "./offline";

/** What the picture reads from a recorded resource. Inputs are read redacted. */
export type ArchResource = Pick<RecordedResource, "urn" | "type" | "name"> &
    Partial<Pick<RecordedResource, "parent" | "dependencies" | "propertyDependencies" | "inputs">>;

export type Target = "aws" | "gcp" | "vm";

export interface Component {
    id: string;
    /** Resources this component stands for. @default none (only with `external`) */
    match?: (r: ArchResource) => boolean;
    /** The box's text, from the matched resources (empty for an external component). */
    label: (rs: ArchResource[]) => string;
    /** Mermaid shape. @default "box" */
    shape?: "box" | "database" | "actor" | "store";
    /** No resource of its own: drawn when a component it links to is drawn. @default false */
    external?: boolean;
}

export interface Link {
    from: string;
    to: string;
    kind: "request" | "guard";
    /** Text on the arrow. @default none */
    label?: string;
    /** A component both ends must be linked to, when they are not linked directly. @default none */
    via?: string;
    /**
     * When the relation is a value, not a dependency (a probe aimed at a host name): true when the
     * two ends' resources agree on it. Replaces the dependency test. @default none
     */
    agree?: (from: ArchResource[], to: ArchResource[]) => boolean;
}

export interface Picture {
    title: string;
    /** The stack whose graph the picture is drawn from. */
    stack: string;
    components: Component[];
    links: Link[];
}

export interface Architecture {
    /** Mermaid text, ending in a newline. */
    text: string;
    nodes: string[];
    /** Drawn links as `from --> to` (request) or `from -.-> to` (guard). */
    edges: string[];
    /** Resources no component matched (URNs). */
    unplaced: string[];
}

const typeIs =
    (...types: string[]) =>
    (r: ArchResource) =>
        types.includes(r.type);
const typeAndName = (type: string, name: RegExp) => (r: ArchResource) => r.type === type && name.test(r.name);
const any =
    (...ms: ((r: ArchResource) => boolean)[]) =>
    (r: ArchResource) =>
        ms.some((m) => m(r));
const inputs = (r: ArchResource | undefined): any => r?.inputs ?? {};
const count = (rs: ArchResource[], type: string) => rs.filter((r) => r.type === type).length;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const find = (rs: ArchResource[], type: string, name?: RegExp) =>
    rs.find((r) => r.type === type && (!name || name.test(r.name)));
const ports = (rs: ArchResource[]) =>
    [...new Set(rs.map((r) => inputs(r).port).filter((p) => p !== undefined))].join(", ");
/** A flag's value in a shell command line the VM target runs (`--listen='443'`). */
const flag = (cmd: unknown, name: string) =>
    typeof cmd === "string" ? new RegExp(`--${name}='([^']*)'`).exec(cmd)?.[1] : undefined;

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const SG_RULES = [
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
];

/** AWS: the ALB's production and test listeners, blue/green target groups, Fargate tasks, RDS. */
export const AWS: Picture = {
    title: "AWS",
    stack: "production",
    components: [
        { id: "user", label: () => "User", shape: "actor", external: true },
        {
            id: "alb",
            match: any(
                typeIs("aws:lb/loadBalancer:LoadBalancer"),
                typeAndName("aws:ec2/securityGroup:SecurityGroup", /-alb$/),
                (r) => SG_RULES.includes(r.type) && /-alb-(http|https|test)$/.test(r.name),
            ),
            label: (rs) => {
                const open = rs
                    .filter((r) => SG_RULES.includes(r.type))
                    .map((r) => `${inputs(r).fromPort} from ${inputs(r).cidrIpv4}`)
                    .sort();
                return `Application Load Balancer<br/>public subnets<br/>${open.join("<br/>")}`;
            },
        },
        {
            id: "http",
            match: typeAndName("aws:lb/listener:Listener", /-http$/),
            label: (rs) => `listener :${ports(rs)}<br/>301 to HTTPS`,
        },
        {
            id: "https",
            // The ACM certificate it serves is read, and checked, before the network exists.
            match: any(
                typeAndName("aws:lb/listener:Listener", /-https$/),
                typeIs("aws:acm/certificate:Certificate"),
            ),
            label: (rs) =>
                `listener :${ports(rs.filter((r) => r.type === "aws:lb/listener:Listener"))} HTTPS<br/>${inputs(find(rs, "aws:lb/listener:Listener")).sslPolicy ?? ""}`,
        },
        {
            id: "prodRule",
            match: typeAndName("aws:lb/listenerRule:ListenerRule", /-production$/),
            label: () => "production rule",
        },
        {
            id: "testListener",
            match: typeAndName("aws:lb/listener:Listener", /-test$/),
            label: (rs) => `test listener :${ports(rs)}<br/>the new color before the switch`,
        },
        {
            id: "testRule",
            match: typeAndName("aws:lb/listenerRule:ListenerRule", /-test-rule$/),
            label: () => "test rule",
        },
        ...(["blue", "green"] as const).map(
            (color): Component => ({
                id: color,
                match: typeAndName("aws:lb/targetGroup:TargetGroup", new RegExp(`-${color}$`)),
                label: (rs) =>
                    `target group ${color}<br/>health check ${inputs(rs[0]).healthCheck?.path ?? "?"}`,
            }),
        ),
        {
            id: "tasks",
            match: any(
                typeIs(
                    "aws:ecs/service:Service",
                    "aws:ecs/cluster:Cluster",
                    "aws:ecs/taskDefinition:TaskDefinition",
                ),
                typeAndName("aws:ec2/securityGroup:SecurityGroup", /-tasks$/),
                (r) => SG_RULES.includes(r.type) && /-(tasks-from-alb|tasks-out|alb-to-tasks)$/.test(r.name),
                typeAndName("aws:iam/role:Role", /-(task|lb-infra)$/),
                typeAndName("aws:iam/rolePolicyAttachment:RolePolicyAttachment", /-lb-infra$/),
            ),
            label: (rs) => {
                const svc = inputs(find(rs, "aws:ecs/service:Service"));
                return `ECS Fargate tasks x${svc.desiredCount ?? "?"}<br/>private subnets, from the ALB only<br/>deployment ${svc.deploymentConfiguration?.strategy ?? "?"}`;
            },
        },
        {
            id: "hook",
            match: any(
                typeAndName("aws:lambda/function:Function", /^(?!.*notify)/),
                typeAndName("aws:iam/role:Role", /-(hook|smoke)/),
                typeAndName("aws:iam/rolePolicy:RolePolicy", /-(hook|smoke)/),
                typeAndName("aws:iam/rolePolicyAttachment:RolePolicyAttachment", /-(hook|smoke)/),
                typeAndName("aws:lambda/permission:Permission", /-(hook|smoke)/),
                typeAndName("aws:ec2/securityGroup:SecurityGroup", /-smoke-fn$/),
                // The hook reaches the test listener from the NAT gateways' addresses.
                (r) => SG_RULES.includes(r.type) && /-(smoke-fn-|test-from-nat-\d+$)/.test(r.name),
            ),
            label: (rs) => `smoke hook<br/>${plural(count(rs, "aws:lambda/function:Function"), "Lambda")}`,
        },
        {
            id: "db",
            shape: "database",
            match: any(
                (r) => r.type.startsWith("aws:rds/"),
                typeAndName("aws:ec2/securityGroup:SecurityGroup", /-db$/),
                (r) => SG_RULES.includes(r.type) && /-db-from-/.test(r.name),
                typeAndName("random:index/randomPassword:RandomPassword", /-pg-password$/),
                typeAndName("random:index/randomId:RandomId", /-final-snapshot$/),
            ),
            label: (rs) => {
                const db = inputs(find(rs, "aws:rds/instance:Instance"));
                const traits = [
                    db.multiAz ? "Multi-AZ" : "single-AZ",
                    db.deletionProtection ? "deletion protection" : "",
                    db.backupRetentionPeriod ? `${db.backupRetentionPeriod}-day backups` : "",
                ].filter(Boolean);
                return `RDS PostgreSQL ${db.engineVersion ?? ""}<br/>${traits.join(", ")}<br/>from the tasks only`;
            },
        },
        {
            id: "network",
            match: (r) => r.type.startsWith("aws:ec2/") && /-net-/.test(r.name),
            label: (rs) =>
                `VPC<br/>${plural(count(rs, "aws:ec2/subnet:Subnet"), "subnet")}, ${plural(count(rs, "aws:ec2/natGateway:NatGateway"), "NAT gateway")}`,
        },
        {
            id: "image",
            match: (r) => r.type.startsWith("aws:ecr/") || r.type.startsWith("docker-build:"),
            // Production's repository is its own: promotion copies staging's digest into it.
            label: (rs) =>
                rs.some((r) => r.type.startsWith("docker-build:"))
                    ? "ECR image<br/>built, pinned by digest"
                    : "own ECR repository<br/>protected, the promoted digest",
        },
        {
            id: "secret",
            shape: "store",
            match: any(
                (r) => r.type.startsWith("aws:secretsmanager/"),
                typeAndName("random:index/randomPassword:RandomPassword", /^secrets-/),
            ),
            label: (rs) =>
                `Secrets Manager<br/>${plural(count(rs, "aws:secretsmanager/secret:Secret"), "secret")}, never in plain env`,
        },
        {
            id: "execRole",
            match: any(
                typeAndName("aws:iam/role:Role", /-execution$/),
                typeAndName("aws:iam/rolePolicyAttachment:RolePolicyAttachment", /-execution$/),
                typeAndName("aws:iam/rolePolicy:RolePolicy", /-execution-secrets$/),
            ),
            label: () => "execution role<br/>reads only this service's secret",
        },
        {
            id: "logs",
            match: typeIs("aws:cloudwatch/logGroup:LogGroup"),
            label: (rs) => `CloudWatch Logs<br/>${inputs(rs[0]).retentionInDays ?? "?"} days`,
        },
        {
            id: "accessLogs",
            shape: "store",
            match: (r) => r.type.startsWith("aws:s3/") && /-alb-logs-/.test(r.name),
            label: () => "ALB access logs<br/>S3, encrypted, private",
        },
        {
            id: "rollbackAlarms",
            match: typeAndName(ALARM, /-rollback-/),
            label: (rs) => `${plural(rs.length, "rollback alarm")}<br/>roll the deployment back`,
        },
        {
            id: "alarms",
            match: (r) => r.type === ALARM && !/-rollback-/.test(r.name),
            label: (rs) => `${plural(rs.length, "alarm")}<br/>service and database`,
        },
        {
            id: "topic",
            match: typeIs("aws:sns/topic:Topic"),
            label: () => "SNS alarm topic",
        },
        {
            id: "destinations",
            match: (r) => r.type === "aws:sns/topicSubscription:TopicSubscription" || /-notify-/.test(r.name),
            label: (rs) => `on-call destinations<br/>${plural(rs.length, "subscription")}`,
        },
    ],
    links: [
        { from: "user", to: "alb", kind: "request", label: "HTTPS" },
        { from: "accessLogs", to: "alb", kind: "guard", label: "every request logged" },
        { from: "alb", to: "https", kind: "request" },
        { from: "alb", to: "http", kind: "guard", label: "plain HTTP" },
        { from: "https", to: "prodRule", kind: "request" },
        { from: "prodRule", to: "blue", kind: "request" },
        { from: "prodRule", to: "green", kind: "request" },
        { from: "blue", to: "tasks", kind: "request" },
        { from: "green", to: "tasks", kind: "request" },
        { from: "tasks", to: "db", kind: "request", label: "TLS :5432" },
        { from: "alb", to: "testListener", kind: "guard", label: "test CIDR only" },
        { from: "testListener", to: "testRule", kind: "guard" },
        { from: "testRule", to: "blue", kind: "guard" },
        { from: "testRule", to: "green", kind: "guard" },
        { from: "hook", to: "tasks", kind: "guard", label: "smoke test before the switch" },
        { from: "network", to: "tasks", kind: "guard", label: "private subnets, NAT out" },
        { from: "image", to: "tasks", kind: "guard", label: "image by digest" },
        { from: "secret", to: "execRole", kind: "guard" },
        { from: "execRole", to: "tasks", kind: "guard", label: "secrets at start" },
        { from: "db", to: "secret", kind: "guard", label: "generated password" },
        { from: "tasks", to: "logs", kind: "guard" },
        { from: "rollbackAlarms", to: "tasks", kind: "guard", label: "roll back" },
        { from: "alb", to: "rollbackAlarms", kind: "guard", label: "5xx, p95" },
        { from: "alarms", to: "topic", kind: "guard" },
        { from: "rollbackAlarms", to: "topic", kind: "guard" },
        { from: "topic", to: "destinations", kind: "guard" },
    ],
};

/** GCP: the public invoker, the Cloud Run service and its revisions, Cloud SQL, Secret Manager. */
export const GCP: Picture = {
    title: "GCP",
    stack: "gcp-production",
    components: [
        { id: "user", label: () => "User", shape: "actor", external: true },
        {
            id: "invoker",
            match: typeIs("gcp:cloudrunv2/serviceIamMember:ServiceIamMember"),
            label: (rs) =>
                `run.invoker for ${rs.map((r) => inputs(r).member).join(", ")}<br/>HTTPS on run.app`,
        },
        {
            id: "run",
            match: any(
                typeIs("gcp:cloudrunv2/service:Service"),
                typeAndName("random:index/randomPassword:RandomPassword", /-revision-key$/),
            ),
            label: (rs) => {
                const svc = inputs(find(rs, "gcp:cloudrunv2/service:Service"));
                const probe = svc.template?.containers?.[0]?.startupProbe?.httpGet?.path;
                return `Cloud Run service<br/>revisions, traffic by percent${probe ? `<br/>startup probe ${probe}` : ""}`;
            },
        },
        {
            id: "job",
            match: (r) => r.type.startsWith("gcp:cloudrunv2/job:") || r.type.startsWith("gcp:cloudbuild/"),
            label: () => "release check<br/>smoke before traffic moves",
        },
        {
            id: "identity",
            match: any(
                typeIs("gcp:serviceaccount/account:Account"),
                typeIs("gcp:projects/iAMMember:IAMMember"),
            ),
            label: (rs) =>
                `service account<br/>${rs
                    .filter((r) => r.type === "gcp:projects/iAMMember:IAMMember")
                    .map((r) => inputs(r).role)
                    .join(", ")}`,
        },
        {
            id: "secrets",
            shape: "store",
            match: any(
                (r) => r.type.startsWith("gcp:secretmanager/") && !/-sql-/.test(r.name),
                typeAndName("random:index/randomPassword:RandomPassword", /^secrets-/),
            ),
            label: (rs) =>
                `Secret Manager<br/>${plural(count(rs, "gcp:secretmanager/secret:Secret"), "secret")}, each read by the service account only`,
        },
        {
            id: "db",
            shape: "database",
            match: (r) =>
                r.type.startsWith("gcp:sql/") ||
                (/-sql-/.test(r.name) &&
                    (r.type.startsWith("gcp:secretmanager/") || r.type.startsWith("random:"))),
            label: (rs) => {
                const db = inputs(find(rs, "gcp:sql/databaseInstance:DatabaseInstance"));
                const s = db.settings ?? {};
                const traits = [
                    s.availabilityType === "REGIONAL" ? "regional (HA)" : "zonal",
                    db.deletionProtection ? "deletion protection" : "",
                    s.backupConfiguration?.pointInTimeRecoveryEnabled ? "point-in-time recovery" : "",
                ].filter(Boolean);
                return `Cloud SQL ${db.databaseVersion ?? ""}<br/>${traits.join(", ")}`;
            },
        },
        {
            id: "image",
            match: (r) => r.type.startsWith("gcp:artifactregistry/") || r.type.startsWith("docker-build:"),
            label: () => "Artifact Registry image<br/>pinned by digest",
        },
        {
            id: "apis",
            match: typeIs("gcp:projects/service:Service"),
            label: (rs) => `${plural(rs.length, "project API")} enabled`,
        },
        {
            id: "uptime",
            match: typeIs("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"),
            label: (rs) => `uptime check ${inputs(rs[0]).httpCheck?.path ?? ""}`,
        },
        {
            id: "alerts",
            match: typeIs("gcp:monitoring/alertPolicy:AlertPolicy"),
            label: (rs) => `${plural(rs.length, "alert policy", "alert policies")}<br/>service and database`,
        },
        {
            id: "destinations",
            match: typeIs("gcp:monitoring/notificationChannel:NotificationChannel"),
            label: (rs) => `on-call destinations<br/>${plural(rs.length, "notification channel")}`,
        },
    ],
    links: [
        { from: "user", to: "invoker", kind: "request", label: "HTTPS" },
        { from: "invoker", to: "run", kind: "request" },
        { from: "run", to: "db", kind: "request", label: "DATABASE_URL", via: "secrets" },
        { from: "identity", to: "run", kind: "guard", label: "runs as" },
        { from: "secrets", to: "run", kind: "guard", label: "pinned versions" },
        { from: "identity", to: "secrets", kind: "guard", label: "secretAccessor" },
        { from: "image", to: "run", kind: "guard", label: "image by digest" },
        { from: "job", to: "run", kind: "guard", label: "smoke before traffic" },
        { from: "apis", to: "run", kind: "guard", label: "enabled first" },
        { from: "uptime", to: "run", kind: "guard", label: "probes" },
        { from: "uptime", to: "alerts", kind: "guard" },
        { from: "db", to: "alerts", kind: "guard", label: "cpu, disk" },
        { from: "alerts", to: "destinations", kind: "guard" },
    ],
};

const COMMAND = "command:remote:Command";
const COPY = "command:remote:CopyToRemote";

/** VM: nginx on the host, blue/green containers, the existing database, the watchdog, uptime. */
export const VM: Picture = {
    title: "VM",
    stack: "vm-staging",
    components: [
        { id: "user", label: () => "User", shape: "actor", external: true },
        {
            id: "nginx",
            match: typeAndName(COMMAND, /-deploy$/),
            label: (rs) => {
                const listen = flag(inputs(rs[0]).create, "listen");
                const tls = flag(inputs(rs[0]).create, "tls-cert") ? " TLS" : "";
                return `nginx :${listen ?? "?"}${tls}<br/>${plural(rs.length, "host")}`;
            },
        },
        {
            id: "containers",
            match: typeAndName(COMMAND, /-deploy$/),
            label: (rs) => {
                const cmd = inputs(rs[0]).create;
                return `blue / green containers<br/>${flag(cmd, "runtime") ?? "?"}, switched after ${flag(cmd, "readiness-path") ?? "?"} answers`;
            },
        },
        {
            id: "db",
            shape: "database",
            match: typeAndName(COPY, /-env$/),
            label: () => "existing PostgreSQL<br/>DATABASE_URL in the env file",
        },
        {
            id: "envFile",
            shape: "store",
            match: any(
                typeAndName(COPY, /-env$/),
                typeAndName("random:index/randomPassword:RandomPassword", /-env-key$|^secrets-/),
            ),
            label: () => "env file, mode 0600<br/>never on the command line",
        },
        {
            id: "script",
            match: any(typeAndName(COPY, /-script$/), typeAndName(COMMAND, /-prepare$/)),
            label: () => "deploy script<br/>checks CPU, digest, env, then switches",
        },
        {
            id: "watchdog",
            match: typeAndName(COMMAND, /-watchdog$/),
            label: (rs) =>
                `watchdog<br/>${flag(inputs(rs[0]).create, "interval") ?? "60"} s health checks, restarts`,
        },
        {
            id: "webhook",
            match: typeAndName(COPY, /-webhook$/),
            label: () => "on-call webhook",
        },
        {
            id: "uptime",
            match: typeIs("aws:route53/healthCheck:HealthCheck"),
            label: (rs) =>
                `Route 53 health check<br/>${inputs(rs[0]).type ?? ""} ${inputs(rs[0]).resourcePath ?? ""}`,
        },
        {
            id: "alarms",
            match: typeIs(ALARM),
            label: (rs) => plural(rs.length, "alarm"),
        },
        {
            id: "destinations",
            match: (r) =>
                typeIs("aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription")(r) ||
                /-notify(-|$)/.test(r.name),
            label: (rs) =>
                `SNS, on-call destinations<br/>${plural(count(rs, "aws:sns/topicSubscription:TopicSubscription"), "subscription")}`,
        },
    ],
    links: [
        { from: "user", to: "nginx", kind: "request", label: "HTTPS" },
        { from: "nginx", to: "containers", kind: "request" },
        { from: "containers", to: "db", kind: "request" },
        { from: "script", to: "containers", kind: "guard", label: "deploys" },
        { from: "envFile", to: "containers", kind: "guard", label: "env" },
        { from: "watchdog", to: "containers", kind: "guard", label: "checks" },
        { from: "watchdog", to: "webhook", kind: "guard", label: "3 failures", via: "containers" },
        {
            from: "uptime",
            to: "nginx",
            kind: "guard",
            label: "probes",
            agree: (checks, hosts) =>
                checks.some((c) =>
                    hosts.some((h) => inputs(c).fqdn === flag(inputs(h).create, "server-name")),
                ),
        },
        { from: "uptime", to: "alarms", kind: "guard" },
        { from: "alarms", to: "destinations", kind: "guard" },
    ],
};

export const PICTURES: Record<Target, Picture> = { aws: AWS, gcp: GCP, vm: VM };

/** Providers, the stack and the program's own components draw nothing of their own. */
function isDrawable(r: ArchResource, parents: Set<string>): boolean {
    if (r.type.startsWith("pulumi:")) return false;
    const pkg = r.type.split(":")[0];
    const project = r.urn.split("::")[1];
    return pkg !== project && !parents.has(r.urn);
}

function mermaidNode(c: Component, label: string): string {
    const text = label.replace(/"/g, "#quot;");
    switch (c.shape) {
        case "database":
            return `${c.id}[("${text}")]`;
        case "actor":
            return `${c.id}(["${text}"])`;
        case "store":
            return `${c.id}[/"${text}"/]`;
        default:
            return `${c.id}["${text}"]`;
    }
}

/** The picture of `target` drawn from a graph's resources. Pure. */
export function architectureOf(resources: ArchResource[], picture: Picture): Architecture {
    const parents = new Set(resources.map((r) => r.parent).filter((p): p is string => !!p));
    const drawable = resources.filter((r) => isDrawable(r, parents));
    const members = new Map<string, ArchResource[]>();
    for (const c of picture.components)
        if (c.match)
            members.set(
                c.id,
                drawable.filter(c.match).sort((a, b) => (a.urn < b.urn ? -1 : 1)),
            );
    const unplaced = drawable.filter((r) => !picture.components.some((c) => c.match?.(r))).map((r) => r.urn);

    const deps = new Map(
        drawable.map((r) => [
            r.urn,
            new Set([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]),
        ]),
    );
    const present = (id: string) => (members.get(id) ?? []).length > 0;
    const linked = (a: string, b: string): boolean => {
        const as = members.get(a) ?? [];
        const bs = members.get(b) ?? [];
        const bUrns = new Set(bs.map((r) => r.urn));
        return (
            as.some((x) => bUrns.has(x.urn) || [...(deps.get(x.urn) ?? [])].some((d) => bUrns.has(d))) ||
            bs.some((y) => [...(deps.get(y.urn) ?? [])].some((d) => as.some((x) => x.urn === d)))
        );
    };
    const external = new Set(picture.components.filter((c) => c.external).map((c) => c.id));
    const backed = (l: Link): boolean => {
        if (external.has(l.from)) return present(l.to);
        if (external.has(l.to)) return present(l.from);
        if (!present(l.from) || !present(l.to)) return false;
        if (l.agree) return l.agree(members.get(l.from)!, members.get(l.to)!);
        if (linked(l.from, l.to)) return true;
        return !!l.via && present(l.via) && linked(l.from, l.via) && linked(l.via, l.to);
    };
    const drawn = picture.links.filter(backed);
    const shown = new Set(drawn.flatMap((l) => [l.from, l.to]));
    for (const c of picture.components) if (!c.external && present(c.id)) shown.add(c.id);

    const lines = ["flowchart TB"];
    const nodes: string[] = [];
    for (const c of picture.components) {
        if (!shown.has(c.id)) continue;
        nodes.push(c.id);
        lines.push(`    ${mermaidNode(c, c.label(members.get(c.id) ?? []))}`);
    }
    const edges: string[] = [];
    for (const l of drawn) {
        const arrow = l.kind === "request" ? "-->" : "-.->";
        edges.push(`${l.from} ${arrow} ${l.to}`);
        lines.push(`    ${l.from} ${arrow}${l.label ? `|"${l.label}"|` : ""} ${l.to}`);
    }
    return { text: `${lines.join("\n")}\n`, nodes, edges, unplaced };
}

/** What the picture reads of an offline run: identity, parents, dependencies and redacted inputs. */
export function graphOf(result: { resources: RecordedResource[] }, redact: (v: unknown) => unknown) {
    return result.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        inputs: redact(r.inputs) as Record<string, unknown>,
    }));
}

/**
 * `node --require ./scripts/register.js scripts/architecture.ts <target> [--graph] [--config <file>]`:
 * the picture of a target from its stack (one offline run per process), or with `--graph` the
 * graph it reads, as JSON, for tests that change one field of the real output.
 */
async function main(argv: string[]): Promise<number> {
    const target = argv[0] as Target;
    const picture = PICTURES[target];
    const configAt = argv.indexOf("--config");
    if (!picture || (configAt >= 0 && !argv[configAt + 1])) {
        process.stderr.write("usage: architecture.ts aws|gcp|vm [--graph] [--config <file>]\n");
        return 2;
    }
    // Loaded here, not at the top: the pure part must not start the Pulumi runtime in a test.
    const { runOffline, redact } = require("./offline") as typeof import("./offline");
    const result = await runOffline({
        stack: picture.stack,
        configFile: configAt >= 0 ? path.resolve(argv[configAt + 1]) : undefined,
    });
    if (result.error) {
        process.stderr.write(`${result.error.message}\n`);
        return 1;
    }
    const graph = graphOf(result, redact);
    process.stdout.write(
        argv.includes("--graph") ? `${JSON.stringify(graph)}\n` : architectureOf(graph, picture).text,
    );
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`architecture: ${e?.stack ?? e}\n`);
            process.exit(1);
        },
    );
}
