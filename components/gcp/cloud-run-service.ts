/**
 * One service on Cloud Run v2, blue-green and canary by tagged revisions.
 *
 * Revision names derive from what the revision runs: `<service>-<digest 12 hex>-<config 6 hex>`,
 * the config part an HMAC (under a per-service random key, so it reveals nothing) of the whole
 * rendered revision template except its name: containers, env, secret versions, probes,
 * resources, scaling, egress, volumes, the service account, labels, and whatever a later version
 * adds to the template, plus the service's custom audiences (a service field whose change also
 * makes Cloud Run create a revision). The same image and config always make the same name; any change makes a
 * new one, as Cloud Run requires (it answers 409 to a new configuration under an existing revision
 * name). The traffic list is written out in full from config: the new revision with
 * `traffic.percent`, `traffic.previous` (the last deploy's `servingRevision` output) with the rest,
 * `traffic.keep` at 0%, every one tagged so it keeps a URL; "the old one" is a name in config and
 * nothing uses LATEST, whose tags Cloud Run moves (pulumi/pulumi#11967, pulumi-gcp#977). A revision
 * that gains traffic is smoke-tested at 0% first: the release step (components/gcp/release.ts).
 *
 * A REVISION traffic target must exist when the request arrives, so `previous` and `keep` must
 * name revisions this stack has created: the caller passes the `revisions` output of the stack's
 * last update (read with a StackReference to the stack itself, known during preview too) and a
 * name outside it fails the plan, naming the config key. A first deploy sends traffic only to the
 * revision it creates.
 *
 * Cost and scale: `cpuIdle: true` (CPU only during requests; resource limits would otherwise
 * switch to instance-based billing) and the minimum instances on the service, shared by the
 * revisions that serve traffic, so a revision kept at 0% for rollback holds no warm instance.
 *
 * Probes: startup is an HTTP GET on readiness and liveness an HTTP GET on liveness; Cloud Run's
 * default TCP probe passes before the app is ready (SD-015).
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { revisionsAfter, unknownTrafficRevisions } from "./revisions";
import type { Deployed } from "../evidence";
import { cite } from "../failures";
import * as gcp from "@pulumi/gcp";
import * as random from "@pulumi/random";
import type { CloudRunConfig, NormalizedService } from "../config";
import type { CloudRunSecretEnv } from "./secrets";
import { CLOUD_RUN_RESERVED_ENV } from "../config";
import { releaseAudience, releasePlan } from "./release-plan";
import { releaseOutputs } from "./release-result";
import { CloudRunRelease } from "./release";

export { REMEMBERED_REVISIONS, revisionsAfter, unknownTrafficRevisions } from "./revisions";

export interface CloudRunServiceArgs {
    service: NormalizedService & { cloudRun: CloudRunConfig };
    project: string;
    region: string;
    /** Digest-pinned image and its digest. */
    imageRef: pulumi.Input<string>;
    digest: pulumi.Input<string>;
    imagePlatforms: pulumi.Input<string[]>;
    /** The service's own account (created by the caller so its secrets can name it first). */
    serviceAccountEmail: pulumi.Input<string>;
    plainEnv: Record<string, pulumi.Input<string>>;
    secretEnv: CloudRunSecretEnv[];
    /** Cloud SQL connection name for the unix-socket volume. @default undefined */
    cloudSqlInstance?: pulumi.Input<string>;
    /** Direct VPC egress for private-IP database access. @default undefined */
    vpc?: { network: string; subnetwork: string };
    /** Deletion protection (on in production). @default false */
    deletionProtection?: boolean;
    /** @default {} */
    labels?: Record<string, string>;
    /** Revisions this stack's last update left in place (its `revisions` output). @default [] */
    knownRevisions?: pulumi.Input<string[]>;
    /**
     * Revisions that passed a release (the stack's last `released` output); a revision that gains
     * traffic outside it is smoke-tested at 0% first (components/gcp/release.ts). @default []
     */
    released?: pulumi.Input<string[]>;
    /** The revision serving at the stack's last update (its `servingRevision` output), or null. @default null */
    lastServing?: pulumi.Input<string | null>;
    /** The tester's account id when the service is private (`public: false`). @default undefined */
    testerAccountId?: string;
    /** Config key of `cloudRun.traffic`, for messages, e.g. `service-deploy:services[0].cloudRun.traffic`. */
    trafficKey: string;
    /** What a revision needs before it starts: the secret accessor bindings, the database user. @default [] */
    dependsOn?: pulumi.Resource[];
}

/**
 * Plain env as Cloud Run receives it: without the names Cloud Run sets itself (config has refused
 * every reserved entry but `PORT: { from: service.port }`, which Cloud Run satisfies from the
 * containerPort). Pure.
 */
export function cloudRunPlainEnv<T>(plain: Record<string, T>): Record<string, T> {
    return Object.fromEntries(
        Object.entries(plain).filter(([n]) => !CLOUD_RUN_RESERVED_ENV.includes(n)),
    ) as Record<string, T>;
}

/** JSON with object keys sorted, so a hash does not depend on property order. Pure. */
function stableJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
    if (v && typeof v === "object")
        return `{${Object.keys(v)
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    return JSON.stringify(v) ?? "null";
}

/**
 * HMAC of a rendered revision template, its own name (`revision`) and the images' references left
 * out: the name carries the digest already, so a promotion (another digest, same config) changes
 * the digest part of the name alone. Pure.
 */
export function templateHash(key: string, template: Record<string, unknown>): string {
    const { revision: _name, containers, ...rest } = template;
    const withoutImages = Array.isArray(containers)
        ? containers.map((c: Record<string, unknown>) => ({ ...c, image: undefined }))
        : containers;
    return configHash(key, stableJson({ ...rest, containers: withoutImages }));
}

/** Revision name for an image digest and a config hash. Pure. */
export function revisionName(service: string, digest: string, configHash: string): string {
    return `${service}-${digest.replace(/^sha256:/, "").slice(0, 12)}-${configHash.slice(0, 6)}`;
}

/** Tag (URL prefix) of a revision: `rev-<digest 12>-<config 6>`. Pure. */
export function revisionTag(service: string, revision: string): string {
    return `rev-${revision.slice(service.length + 1)}`;
}

/** HMAC of a revision's configuration. Pure. */
export function configHash(key: string, config: unknown): string {
    return crypto.createHmac("sha256", key).update(JSON.stringify(config)).digest("hex").slice(0, 6);
}

export interface TrafficEntry {
    revision: string;
    percent: number;
    tag: string;
}

/**
 * The full traffic list: the new revision, the previous one (serving the rest), and kept ones at
 * 0%, each tagged; duplicates collapse into the first. Pure.
 */
export function trafficPlan(
    service: string,
    revision: string,
    t: { percent: number; previous?: string; keep: string[] },
): TrafficEntry[] {
    const entries: TrafficEntry[] = [{ revision, percent: t.percent, tag: revisionTag(service, revision) }];
    const add = (r: string, percent: number) => {
        const existing = entries.find((e) => e.revision === r);
        if (existing) existing.percent += percent;
        else entries.push({ revision: r, percent, tag: revisionTag(service, r) });
    };
    if (t.previous) add(t.previous, 100 - t.percent);
    else if (t.percent !== 100) throw new Error(`traffic.percent ${t.percent} needs traffic.previous`);
    for (const d of t.keep) add(d, 0);
    return entries;
}

const INGRESS = {
    all: "INGRESS_TRAFFIC_ALL",
    internal: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
} as const;

export class CloudRunService extends pulumi.ComponentResource {
    public readonly service: gcp.cloudrunv2.Service;
    public readonly url: pulumi.Output<string>;
    /** Tag -> URL of every tagged revision. */
    public readonly tagUrls: pulumi.Output<Record<string, string>>;
    public readonly servingRevision: pulumi.Output<string>;
    /** Revisions this stack has created and left in place, newest first (next update's `knownRevisions`). */
    public readonly revisions: pulumi.Output<string[]>;
    /** Revisions that passed a release, newest first (next update's `released`). */
    public readonly released: pulumi.Output<string[]>;
    /** The release step: the smoke test and the traffic move. */
    public readonly release: CloudRunRelease;
    /** Health evidence for promotion (components/evidence.ts). */
    public readonly deployed: pulumi.Output<Deployed>;

    constructor(name: string, args: CloudRunServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:CloudRunService", name, {}, opts);
        const svc = args.service;
        const cr = svc.cloudRun;
        const probe = (path: string, p: CloudRunConfig["startupProbe"]) => ({
            httpGet: { path, port: svc.port },
            periodSeconds: p.periodSeconds,
            timeoutSeconds: p.timeoutSeconds,
            failureThreshold: p.failureThreshold,
            initialDelaySeconds: p.initialDelaySeconds,
        });
        const key = new random.RandomPassword(
            `${name}-revision-key`,
            { length: 32, special: false },
            { parent: this },
        );
        const plainEnv = cloudRunPlainEnv(args.plainEnv);
        // The revision template as the provider sends it, but for its name.
        const template = {
            serviceAccount: args.serviceAccountEmail,
            maxInstanceRequestConcurrency: cr.concurrency,
            // Per revision: only the ceiling. The floor is the service's (below).
            scaling: { maxInstanceCount: cr.maxInstances },
            labels: { ...args.labels, "service-deploy-service": svc.name },
            vpcAccess: args.vpc
                ? {
                      networkInterfaces: [{ network: args.vpc.network, subnetwork: args.vpc.subnetwork }],
                      egress: "PRIVATE_RANGES_ONLY",
                  }
                : undefined,
            volumes: args.cloudSqlInstance
                ? [{ name: "cloudsql", cloudSqlInstance: { instances: [args.cloudSqlInstance] } }]
                : undefined,
            containers: [
                {
                    name: svc.name,
                    image: args.imageRef,
                    ports: { containerPort: svc.port },
                    resources: {
                        limits: { cpu: String(svc.vcpu), memory: `${svc.memoryMiB}Mi` },
                        cpuIdle: true,
                        startupCpuBoost: true,
                    },
                    envs: [
                        ...Object.keys(plainEnv)
                            .sort()
                            .map((n) => ({ name: n, value: plainEnv[n] })),
                        ...args.secretEnv,
                    ],
                    startupProbe: probe(svc.health.readiness, cr.startupProbe),
                    livenessProbe: probe(svc.health.liveness, cr.livenessProbe),
                    volumeMounts: args.cloudSqlInstance
                        ? [{ name: "cloudsql", mountPath: "/cloudsql" }]
                        : undefined,
                },
            ],
        };
        const audience = cr.public ? undefined : releaseAudience(args.project, args.region, svc.name);
        // Unsecret: an HMAC under a random key tells nothing about the values it covers. The
        // service's customAudiences join the hash (only hashed, not sent in the template): changing
        // them makes Cloud Run create a revision, which needs a name not used yet.
        const hash = pulumi.unsecret(
            pulumi
                .all([
                    key.result,
                    pulumi.output(audience ? { ...template, customAudiences: [audience] } : template),
                ])
                .apply(([k, t]) => templateHash(k, t as Record<string, unknown>)),
        );
        const revision = pulumi.all([args.digest, hash]).apply(([d, h]) => revisionName(svc.name, d, h));
        // Known during preview (a StackReference reads state), so an unknown revision fails the
        // preview too, before anything is sent.
        const known = pulumi.output(args.knownRevisions ?? []).apply((k) => {
            const unknown = unknownTrafficRevisions(cr.traffic, k);
            if (unknown.length > 0)
                throw new Error(
                    unknown
                        .map((u) =>
                            cite(
                                "SD-020",
                                `${args.trafficKey}.${u.path}: revision ${u.revision} does not exist in this stack (its last update left ${k.length ? k.join(", ") : "none: a first deploy sends traffic only to the revision it creates"}); Cloud Run refuses traffic to a revision that does not exist. Use the servingRevision output of the last \`pulumi up\`, or remove it`,
                            ),
                        )
                        .join("\n"),
                );
            return k;
        });
        const plan = pulumi
            .all([
                revision,
                known,
                pulumi.output(args.released ?? []),
                pulumi.output(args.lastServing ?? null),
            ])
            .apply(([r, _k, released, lastServing]) => {
                try {
                    return releasePlan(svc.name, cr.traffic, r, released, lastServing);
                } catch (e) {
                    throw new Error(`${args.trafficKey}.${(e as Error).message}`);
                }
            });
        const platformsLabel = pulumi.output(args.imagePlatforms).apply((ps) =>
            [...ps]
                .sort()
                .map((p) => p.replace("/", "-"))
                .join("_"),
        );

        this.service = new gcp.cloudrunv2.Service(
            `${name}-service`,
            {
                name: svc.name,
                project: args.project,
                location: args.region,
                ingress: INGRESS[cr.ingress],
                deletionProtection: args.deletionProtection ?? false,
                // Stamps for the policy pack: what the image holds (image-platform-matches-target).
                labels: {
                    ...args.labels,
                    "service-deploy-service": svc.name,
                    "image-platforms": platformsLabel,
                },
                // Shared by the revisions that serve traffic: a revision at 0% holds no instance.
                scaling: { minInstanceCount: cr.minInstances },
                // A private service's ID tokens name this audience, whichever URL (tag or not) is called.
                customAudiences: audience ? [audience] : undefined,
                template: { ...template, revision },
                traffics: plan.apply((p) =>
                    p.service.map((e) => ({
                        type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                        revision: e.revision,
                        percent: e.percent,
                        tag: e.tag,
                    })),
                ),
            },
            { parent: this, dependsOn: args.dependsOn },
        );

        const invokers: pulumi.Resource[] = [];
        if (cr.public) {
            const invoker = new gcp.cloudrunv2.ServiceIamMember(
                `${name}-public`,
                {
                    project: args.project,
                    location: args.region,
                    name: this.service.name,
                    role: "roles/run.invoker",
                    member: "allUsers",
                },
                { parent: this },
            );
            invokers.push(invoker);
        }
        this.release = new CloudRunRelease(
            `${name}-release`,
            {
                project: args.project,
                region: args.region,
                service: this.service,
                plan,
                checks: {
                    readinessPath: svc.health.readiness,
                    healthPath: svc.health.health,
                    checks: svc.smoke.checks,
                    timeoutSeconds: svc.smoke.timeoutSeconds,
                },
                tester:
                    audience && args.testerAccountId
                        ? { accountId: args.testerAccountId, audience }
                        : undefined,
                dependsOn: invokers,
            },
            { parent: this },
        );
        // From the runner's result line (components/gcp/release-result.ts): after a staged release
        // the Service's own outputs still show the staged list. Names, URLs and a digest: nothing secret.
        const outputs = pulumi.unsecret(
            pulumi
                .all([
                    this.release.command.stdout,
                    this.service.template,
                    revision,
                    this.service.terminalConditions,
                ])
                .apply(([stdout, t, rev, conditions]) =>
                    releaseOutputs(stdout, {
                        image: t?.containers?.[0]?.image ?? "",
                        revision: rev,
                        terminalConditions: conditions ?? [],
                    }),
                ),
        );
        this.url = this.service.uri;
        this.tagUrls = outputs.apply((o) => o.tagUrls);
        this.revisions = pulumi.all([known, plan]).apply(([k, p]) => revisionsAfter(k, p.target));
        // Recorded only once the runner succeeded: a failed smoke leaves the revision unreleased.
        this.released = pulumi.all([plan, outputs]).apply(([p]) => p.released);
        this.servingRevision = outputs.apply((o) => o.servingRevision);
        this.deployed = outputs.apply((o) => o.deployed);
        this.registerOutputs({
            url: this.url,
            tagUrls: this.tagUrls,
            servingRevision: this.servingRevision,
            revisions: this.revisions,
            released: this.released,
            deployed: this.deployed,
        });
    }
}
