/** The GCP picture, drawn from the gcp-production stack's graph. */
import { any, count, find, inputs, type Picture, plural, typeAndName, typeIs } from "./model";

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
            match: (r) =>
                r.type === "command:local:Command" ||
                r.type.startsWith("gcp:cloudrunv2/job:") ||
                r.type.startsWith("gcp:cloudbuild/"),
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
