/** The rules between sections of the stack config (names unique, one database target, VM, GCP, AWS). */
import { rollbackWindowProblem } from "../aws/rollback";
import { cite } from "../failures";
import { PROJECT } from "./common";
import { type ConfigProblem, keyOf } from "./errors";
import { gcpDatabaseProblems } from "./gcp";
import { notificationProblems } from "./notifications";
import type { RawStackConfig } from "./schema";
import type { ServiceConfig } from "./services";
import { ociProvisionProblems } from "./vm-provision";

export function checkCrossField(
    raw: Partial<RawStackConfig>,
    services: [number, ServiceConfig][],
    problems: ConfigProblem[],
): void {
    const names = new Map<string, number>();
    for (const [i, s] of services) {
        if (names.has(s.name))
            problems.push({
                key: keyOf(["services", i, "name"]),
                message: `duplicate service name "${s.name}" (also services[${names.get(s.name)}]); the name is the canonical image name, so it must be unique`,
            });
        names.set(s.name, i);
    }
    const usesAws = services.some(([, s]) => s.target === "aws");
    const usesGcp = services.some(([, s]) => s.target === "gcp");
    const readsDb = ([, s]: [number, ServiceConfig]) =>
        Object.values(s.env).some((e) => "from" in e && e.from.startsWith("database."));
    const dbTargets = [...new Set(services.filter(readsDb).map(([, s]) => s.target))];
    if (dbTargets.length > 1)
        problems.push({
            key: `${PROJECT}:database`,
            message: `services on ${dbTargets.join(" and ")} read the database; a stack's database lives on one target, so keep its readers on one`,
        });
    // The release runner calls the new revision's run.app tag URL from where `pulumi up` runs;
    // with ingress internal or internal-and-cloud-load-balancing Cloud Run refuses that source there
    // ("Requests from other sources, including the internet, cannot reach your service at the run.app
    // URL": https://cloud.google.com/run/docs/securing/ingress).
    for (const [i, s] of services) {
        const ingress = s.target === "gcp" ? s.cloudRun?.ingress : undefined;
        if (ingress && ingress !== "all")
            problems.push({
                key: keyOf(["services", i, "cloudRun", "ingress"]),
                message: `${ingress} refuses requests to the run.app tag URL from outside the VPC, so the release's smoke test (run from where \`pulumi up\` runs) can never reach the new revision and no release can pass; use ingress: all with public: false, which keeps the service IAM-private and testable`,
            });
    }
    const usesVm = services.some(([, s]) => s.target === "vm");
    if (usesVm && !raw.vm && !problems.some((p) => p.key.startsWith(`${PROJECT}:vm`)))
        problems.push({
            key: `${PROJECT}:vm`,
            message: "a service targets vm, so set vm.hosts, vm.sshKeySecret and vm.nginx.serverName",
        });
    if (raw.vm && raw.secrets) {
        const refs: [string, string | undefined][] = [
            ["vm.sshKeySecret", raw.vm.sshKeySecret],
            ["vm.registry.passwordSecret", raw.vm.registry?.passwordSecret],
            ["vm.watchdog.webhookSecret", raw.vm.watchdog.webhookSecret],
        ];
        for (const [k, name] of refs) {
            if (name !== undefined && !(name in raw.secrets))
                problems.push({
                    key: `${PROJECT}:${k}`,
                    message: cite(
                        "SD-010",
                        `must name a declared secret (declared: ${Object.keys(raw.secrets).join(", ") || "none"})`,
                    ),
                });
        }
        if (!!raw.vm.nginx.tlsCertificatePath !== !!raw.vm.nginx.tlsKeyPath)
            problems.push({
                key: `${PROJECT}:vm.nginx.tlsKeyPath`,
                message: "set tlsCertificatePath and tlsKeyPath together",
            });
        for (const p of ociProvisionProblems(
            raw.vm,
            services,
            raw.production ?? raw.environment === "production",
            raw.secrets,
        ))
            problems.push({ key: `${PROJECT}:${p.key}`, message: p.message });
        const names = (raw.vm.hosts ?? []).map((h) => h.name);
        names.forEach((n, i) => {
            if (names.indexOf(n) !== i)
                problems.push({
                    key: `${PROJECT}:vm.hosts[${i}].name`,
                    message: `duplicate host name "${n}"`,
                });
        });
    }
    if (dbTargets.includes("vm"))
        problems.push({
            key: `${PROJECT}:database`,
            message:
                "the vm target does not create a database; point DATABASE_URL at an existing one with a secret ({ secret: <name> })",
        });
    if (
        usesGcp &&
        raw.gcp?.databaseConnection === "private-ip" &&
        (!raw.gcp.network || !raw.gcp.subnetwork)
    ) {
        problems.push({
            key: `${PROJECT}:gcp.network`,
            message: "databaseConnection private-ip needs gcp.network and gcp.subnetwork (Direct VPC egress)",
        });
    }
    if (usesGcp && raw.database && dbTargets.includes("gcp")) {
        for (const problem of gcpDatabaseProblems(raw.gcp, raw.database.backupRetentionDays))
            problems.push({ key: `${PROJECT}:${problem.key}`, message: problem.message });
    }
    if (usesGcp && raw.database && dbTargets.includes("gcp") && !raw.gcp?.network) {
        problems.push({
            key: `${PROJECT}:gcp.network`,
            message:
                "Cloud SQL gets a private IP only (no public IPv4), so set gcp.network to the VPC it joins",
        });
    }
    if (usesAws && raw.aws === undefined && !problems.some((p) => p.key.startsWith(`${PROJECT}:aws`)))
        problems.push({
            key: `${PROJECT}:aws`,
            message: "a service targets aws, so set aws.certificateArn (the ACM certificate for HTTPS)",
        });
    if (
        usesAws &&
        raw.blueGreen === undefined &&
        !problems.some((p) => p.key.startsWith(`${PROJECT}:blueGreen`))
    )
        problems.push({
            key: `${PROJECT}:blueGreen`,
            message: cite(
                "SD-023",
                "a service targets aws, so set blueGreen.testCidr (who may reach the test listener)",
            ),
        });
    if (raw.blueGreen && raw.blueGreen.testListenerPort === 443)
        problems.push({
            key: `${PROJECT}:blueGreen.testListenerPort`,
            message: cite("SD-023", "443 is the production listener; choose another port such as 8443"),
        });
    if (raw.blueGreen && raw.blueGreen.testCidr === "0.0.0.0/0")
        problems.push({
            key: `${PROJECT}:blueGreen.testCidr`,
            message: cite(
                "SD-023",
                "0.0.0.0/0 opens the unreleased revision to the world; use your office or CI range",
            ),
        });
    if (raw.database && raw.database.maxAllocatedStorageGiB < raw.database.allocatedStorageGiB) {
        problems.push({
            key: `${PROJECT}:database.maxAllocatedStorageGiB`,
            message: `must be at least allocatedStorageGiB (${raw.database.allocatedStorageGiB})`,
        });
    }
    raw.alarms?.webhooks.forEach((_w, i) => {
        problems.push({
            key: `${PROJECT}:alarms.webhooks[${i}]`,
            message: cite(
                "SD-016",
                "an SNS https subscription to a Slack or PagerDuty URL never confirms and a Cloud Monitoring webhook posts JSON Slack rejects (no_text); declare it under notifications.destinations instead, e.g. { name: oncall, type: slack, webhookSecret: <secret> } (docs/notifications.md)",
            ),
        });
    });
    problems.push(
        ...notificationProblems(raw, {
            gcp: usesGcp || raw.vm?.monitoring?.provider === "gcp",
            webhooks: usesAws || services.some(([, s]) => s.target === "vm"),
        }),
    );
    const bakeProblem = raw.blueGreen && rollbackWindowProblem(raw.blueGreen);
    if (bakeProblem) problems.push({ key: `${PROJECT}:blueGreen.bakeTimeMinutes`, message: bakeProblem });
    if (raw.alarms && raw.alarms.errorRatePercent >= (raw.blueGreen?.rollbackErrorRatePercent ?? Infinity)) {
        problems.push({
            key: `${PROJECT}:alarms.errorRatePercent`,
            message: `the alert threshold (${raw.alarms.errorRatePercent}%) must be below the rollback threshold blueGreen.rollbackErrorRatePercent (${raw.blueGreen?.rollbackErrorRatePercent}%) so people hear before ECS rolls back`,
        });
    }
}
