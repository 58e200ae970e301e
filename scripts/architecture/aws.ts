/** The AWS picture, drawn from the production stack's graph. */
import {
    ALARM,
    any,
    type Component,
    count,
    find,
    inputs,
    type Picture,
    plural,
    ports,
    SG_RULES,
    typeAndName,
    typeIs,
} from "./model";

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
