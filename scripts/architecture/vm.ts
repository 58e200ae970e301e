/** The VM picture, drawn from the vm-staging stack's graph. */
import { ALARM, any, count, flag, inputs, type Picture, plural, typeAndName, typeIs } from "./model";

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
            match: any(typeAndName(COPY, /-script(-[a-z]+)?$/), typeAndName(COMMAND, /-prepare$/)),
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
