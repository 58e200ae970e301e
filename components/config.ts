/**
 * The stack config: one zod schema for everything a stack file may say, parsed once, with every
 * problem reported at once. Each problem names the config key (with the project prefix) and the
 * stack file, so `pulumi up` fails before a single resource is registered.
 *
 * Pulumi hands a program its config as a flat map of `namespace:key` to string (objects and
 * lists arrive JSON-encoded); `parseStackConfig` takes exactly that map, so the same function
 * serves `pulumi up`, the offline plan and the tests.
 */
import { z } from "zod";
import {
    DeclarationError,
    envAgainstDeclaration,
    envEntrySchema,
    literalCredentials,
    readContextDeclaration,
    type EnvEntry,
    type KnownDeclaration,
} from "./contract";
import gcpRules from "../scripts/conformance/rules/gcp.json";
import { distance } from "../policies/lib";
import { rollbackWindowProblem } from "./aws/rollback";
import { awsPlaceholders, describePlaceholder } from "./aws/placeholders";

export const PROJECT = "service-deploy";

/** CPU architectures a workload can run on, and the OCI platform each one needs in an image. */
export const ARCHITECTURES = ["amd64", "arm64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const platformOf = (arch: Architecture): string => `linux/${arch}`;

export const TARGETS = ["aws", "gcp", "vm"] as const;
export type Target = (typeof TARGETS)[number];

// ---------------------------------------------------------------------------------------------
// Helpers: strict objects whose unknown keys get a "did you mean"
// ---------------------------------------------------------------------------------------------

/** Levenshtein distance, for "did you mean" suggestions (the policy pack's, so both agree). */
export const editDistance = distance;

/** The closest known key to an unknown one, when it is close enough to be a typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = editDistance(unknown, k);
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    const allowed = Math.max(2, Math.floor(unknown.length / 3));
    return bestDistance <= allowed ? best : undefined;
}

function unknownKeyMessage(keys: readonly string[], known: readonly string[]): string {
    return keys
        .map((k) => {
            const s = suggestKey(k, known);
            return `unknown key "${k}"${s ? ` (did you mean "${s}"?)` : ""}; known keys: ${known.join(", ")}`;
        })
        .join("; ");
}

/** A strict object: an unknown key is an error that lists the known ones and the closest. */
function strict<T extends z.ZodRawShape>(shape: T) {
    const known = Object.keys(shape);
    return z.strictObject(shape, {
        error: (iss) => (iss.code === "unrecognized_keys" ? unknownKeyMessage(iss.keys, known) : undefined),
    });
}

const positiveInt = (max: number) => z.number().int().min(1).max(max);
const percent = z.number().gt(0).lte(100);
const path = z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, "must be an absolute URL path such as /readiness");
const slug = z
    .string()
    .regex(
        /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/,
        "must be 2-32 characters of a-z, 0-9 and -, starting with a letter",
    );

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

export const DIGEST_REF =
    /^(?<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?@(?<digest>sha256:[a-f0-9]{64})$/;

const platform = z.enum(["linux/amd64", "linux/arm64"]);

const healthSchema = strict({
    /** @default "/liveness" */
    liveness: path.default("/liveness"),
    /** @default "/readiness" */
    readiness: path.default("/readiness"),
    /** @default "/health" */
    health: path.default("/health"),
    /** Seconds between load balancer health checks. @default 15 */
    intervalSeconds: z.number().int().min(5).max(300).default(15),
    /** @default 5 */
    timeoutSeconds: z.number().int().min(2).max(120).default(5),
    /** @default 3 */
    healthyThreshold: z.number().int().min(2).max(10).default(3),
    /** @default 3 */
    unhealthyThreshold: z.number().int().min(2).max(10).default(3),
});

const imageSchema = z.union(
    [
        strict({
            /** A prebuilt image, pinned: `registry/name@sha256:<64 hex>` (a tag before the digest is allowed and ignored). */
            ref: z
                .string()
                .regex(
                    DIGEST_REF,
                    "must be pinned by digest: <registry>/<name>@sha256:<64 hex digits> (a tag alone is mutable)",
                ),
        }),
        strict({
            build: strict({
                /** Build context directory, relative to the project. */
                context: z.string().min(1),
                /** @default "Dockerfile" in the context */
                dockerfile: z.string().min(1).optional(),
                /**
                 * The tag pushed to the registry. Tags are immutable there, so the default is derived
                 * from the content of the build context: same sources, same tag.
                 * @default "src-<first 12 hex of the context's sha256>"
                 */
                tag: z
                    .string()
                    .regex(/^[\w][\w.-]{0,127}$/, "must be a valid image tag, e.g. the git commit")
                    .optional(),
                /** @default ["linux/amd64", "linux/arm64"] */
                platforms: z.array(platform).min(1).default(["linux/amd64", "linux/arm64"]),
            }),
        }),
    ],
    {
        error: () =>
            'must be either { ref: "<registry>/<name>@sha256:<digest>" } or { build: { context, tag, ... } }',
    },
);

const probeSchema = (d: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }) =>
    strict({
        /** @default per probe */
        periodSeconds: z.number().int().min(1).max(3600).default(d.periodSeconds),
        /** @default per probe */
        timeoutSeconds: z.number().int().min(1).max(3600).default(d.timeoutSeconds),
        /** @default per probe */
        failureThreshold: z.number().int().min(1).max(100).default(d.failureThreshold),
        /** @default 0 */
        initialDelaySeconds: z.number().int().min(0).max(3600).default(0),
    });
const STARTUP_PROBE = { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 };
const LIVENESS_PROBE = { periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 3 };

/** A Cloud Run revision name as the GCP target makes them: `<service>-<digest 12 hex>-<config 6 hex>`. */
export const REVISION = /^[a-z][a-z0-9-]*-[a-f0-9]{12}-[a-f0-9]{6}$/;

const cloudRunSchema = strict({
    /** Requests one instance serves at once. @default 80 */
    concurrency: z.number().int().min(1).max(1000).default(80),
    /** @default 0 in staging, 1 in production (no cold start on the first request) */
    minInstances: z.number().int().min(0).max(1000).optional(),
    /** @default 10 */
    maxInstances: z.number().int().min(1).max(1000).default(10),
    /** Who may reach the service's URL. @default "all" */
    ingress: z.enum(["all", "internal", "internal-and-cloud-load-balancing"]).default("all"),
    /** Grant allUsers the invoker role (a public API). @default true */
    public: z.boolean().default(true),
    /** @default HTTP GET readiness, every 5 s, 3 s timeout, 24 failures (2 minutes) */
    startupProbe: probeSchema(STARTUP_PROBE).default(probeSchema(STARTUP_PROBE).parse({})),
    /** @default HTTP GET liveness, every 15 s, 3 s timeout, 3 failures */
    livenessProbe: probeSchema(LIVENESS_PROBE).default(probeSchema(LIVENESS_PROBE).parse({})),
    /**
     * Blue-green and canary by tagged revisions: the new revision (this image and config) gets
     * `percent` of the traffic, `previous` (the revision serving until now) the rest. Both stay
     * addressable by their tag URL, and so do the `keep` ones at 0%.
     * @default { percent: 100 }
     */
    traffic: strict({
        /** Share of traffic for the new revision: 0 (tag URL only), a canary, or 100. @default 100 */
        percent: z.number().int().min(0).max(100).default(100),
        /** The revision that serves the rest and stays addressable for rollback: the last deploy's `servingRevision` output. */
        previous: z
            .string()
            .regex(
                REVISION,
                "must be a revision name from the servingRevision output, e.g. api-4f2a9c1e7b3d-0a1b2c",
            )
            .optional(),
        /** Older revisions to keep addressable at 0%. @default [] */
        keep: z
            .array(
                z
                    .string()
                    .regex(
                        REVISION,
                        "must be a revision name from the servingRevision output, e.g. api-4f2a9c1e7b3d-0a1b2c",
                    ),
            )
            .default([]),
    }).default({ percent: 100, keep: [] }),
});

const smokeSchema = strict({
    /**
     * Extra checks run against a release before it takes production traffic (the ECS lifecycle
     * hook on AWS, the release run on Cloud Run), after `health.readiness` and `health.health`
     * (which must answer 2xx). @default []
     */
    checks: z
        .array(
            strict({
                /** Absolute URL path, e.g. `/v1/orders?limit=1`. */
                path: z
                    .string()
                    .regex(/^\/[A-Za-z0-9._~\-/?=&%]*$/, "must be an absolute URL path such as /v1/status"),
                /** Expected HTTP status. @default any 2xx */
                status: z.number().int().min(100).max(599).optional(),
            }),
        )
        .default([]),
    /** Seconds each smoke request may take before it fails as timed out. @default 5 */
    timeoutSeconds: z.number().int().min(1).max(60).default(5),
});

const serviceSchema = strict({
    /** Logical name; also the canonical image name. */
    name: slug,
    /** Where the service runs. */
    target: z.enum(TARGETS),
    /** Port the container listens on. @default 8080 */
    port: z.number().int().min(1).max(65535).default(8080),
    /** @default { liveness: "/liveness", readiness: "/readiness", health: "/health" } */
    health: healthSchema.default(healthSchema.parse({})),
    /** Smoke checks before a release takes production traffic. @default { checks: [], timeoutSeconds: 5 } */
    smoke: smokeSchema.default(smokeSchema.parse({})),
    /** vCPUs per task (Fargate sizes). @default 0.5 in staging, 1 in production */
    vcpu: z
        .union([
            z.literal(0.25),
            z.literal(0.5),
            z.literal(1),
            z.literal(2),
            z.literal(4),
            z.literal(6),
            z.literal(8),
            z.literal(16),
        ])
        .optional(),
    /** Memory per task in MiB. @default 1024 in staging, 2048 in production */
    memoryMiB: z.number().int().positive().optional(),
    /** Tasks. @default 1 in staging, 3 in production */
    desiredCount: z.number().int().min(0).max(100).optional(),
    /** CPU architecture the service runs on. @default "arm64" on aws, "amd64" on gcp (Cloud Run runs amd64 only) */
    architecture: z.enum(ARCHITECTURES).optional(),
    /** Cloud Run settings (target gcp only). @default see the README */
    cloudRun: cloudRunSchema.optional(),
    image: imageSchema,
    /** The app's env contract: every variable the app reads, and where its value comes from. */
    env: z
        .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "env var names are UPPER_SNAKE_CASE"), envEntrySchema)
        .default({}),
});

const databaseSchema = strict({
    /** PostgreSQL major version. @default "16" */
    engineVersion: z
        .string()
        .regex(/^\d{2}(\.\d+)?$/, 'must be a PostgreSQL version such as "16" or "16.4"')
        .default("16"),
    /** @default "db.t4g.micro" in staging, "db.r6g.xlarge" in production */
    instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class such as db.r6g.xlarge")
        .optional(),
    /** Cloud SQL machine tier (gcp). @default "db-g1-small" in staging, "db-custom-2-7680" in production */
    tier: z
        .string()
        .regex(/^db-[a-z0-9-]+$/, "must be a Cloud SQL tier such as db-custom-2-7680")
        .optional(),
    /** @default 20 */
    allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
    /** Storage autoscaling ceiling. @default 100 */
    maxAllocatedStorageGiB: z.number().int().min(20).max(65536).default(100),
    /** @default false in staging, true in production */
    multiAz: z.boolean().optional(),
    /** @default 3 in staging, 14 in production */
    backupRetentionDays: z.number().int().min(1).max(35).optional(),
    /** @default false in staging, true in production */
    deletionProtection: z.boolean().optional(),
    /** @default false in staging, true in production */
    performanceInsights: z.boolean().optional(),
    /** Database name. @default "app" */
    name: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier (a-z, 0-9, _)")
        .default("app"),
    /** Application user. @default "app" */
    username: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,15}$/, "must be 1-16 characters a-z, 0-9, _")
        .default("app"),
});

const secretSchema = z.discriminatedUnion(
    "source",
    [
        /** The value is a Pulumi config secret of the same name: `pulumi config set --secret <name> <value>`. */
        strict({ source: z.literal("config") }),
        /** The value is generated once and kept in state (as a secret). */
        strict({ source: z.literal("generated"), length: z.number().int().min(16).max(128).default(48) }),
    ],
    { error: () => 'must be { source: "config" } or { source: "generated", length?: number }' },
);

const alarmsSchema = strict({
    /** E-mail addresses subscribed to the alarm topic. @default [] */
    emails: z.array(z.email()).default([]),
    /**
     * Replaced by `notifications.destinations`: any entry is a config error that says how to move
     * it (an SNS https subscription to a Slack URL never confirms). @default []
     */
    webhooks: z.array(z.string()).default([]),
    /** Alert when 5xx responses exceed this share of requests... @default 5 */
    errorRatePercent: percent.default(5),
    /** ...for this many minutes. @default 5 */
    errorRateMinutes: positiveInt(60).default(5),
    /** Alert when p95 latency exceeds this... @default 500 */
    p95LatencyMs: z.number().int().min(1).default(500),
    /** ...for this many minutes. @default 10 */
    p95LatencyMinutes: positiveInt(60).default(10),
    /** @default 80 */
    cpuPercent: percent.default(80),
    /** @default 85 */
    memoryPercent: percent.default(85),
    /** @default 80 */
    databaseCpuPercent: percent.default(80),
    /** Alert when free database storage falls below this share of the allocated storage. @default 10 */
    databaseFreeStoragePercent: percent.default(10),
    /** Alert when connections exceed this share of the instance's max_connections. @default 80 */
    databaseConnectionsPercent: percent.default(80),
});

// ---------------------------------------------------------------------------------------------
// Notifications: who hears about alarms, rollbacks and recoveries, on every target
// ---------------------------------------------------------------------------------------------

/**
 * What a destination hears: `alerts` (something is wrong and nothing has acted yet: an alarm
 * fired, health checks fail), `rollbacks` (the system acted on its own: ECS rolled a deploy back,
 * the VM watchdog restarted a container), `recoveries` (back to normal: an alarm returned to OK).
 */
export const NOTIFY_EVENTS = ["alerts", "rollbacks", "recoveries"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A declared secret's name; the destination's URL, token or key is that secret's value. */
const secretRef = (what: string) =>
    z
        .string({ error: `name the declared secret holding ${what} (a secret, never plain config)` })
        .min(1, `name the declared secret holding ${what}`);
const destinationBase = {
    /** Stable name of the destination; cloud resources derive their logical names from it. */
    name: slug,
    /** What this destination hears. @default ["alerts", "rollbacks", "recoveries"] */
    events: z
        .array(z.enum(NOTIFY_EVENTS))
        .min(1, "list at least one of alerts, rollbacks, recoveries (or remove the destination)")
        .default([...NOTIFY_EVENTS]),
};
const destinationSchema = z.discriminatedUnion(
    "type",
    [
        strict({
            type: z.literal("email"),
            ...destinationBase,
            /** The address; AWS sends it a confirmation link once. */
            address: z.email("must be an e-mail address such as oncall@example.com"),
        }),
        strict({
            type: z.literal("slack"),
            ...destinationBase,
            /** Declared secret holding the incoming webhook URL (https://hooks.slack.com/services/...). @default none (needed with aws and vm) */
            webhookSecret: secretRef("the Slack incoming webhook URL").optional(),
            /** Channel the GCP `slack` notification channel posts to, e.g. "#oncall". @default none (needed with gcp) */
            channel: z
                .string()
                .regex(/^#?[a-z0-9][a-z0-9._-]{0,79}$/, 'must be a Slack channel name such as "#oncall"')
                .optional(),
            /** Declared secret holding the Slack app's OAuth token (xoxb-...) for GCP's `slack` channel. @default none (needed with gcp) */
            tokenSecret: secretRef("the Slack OAuth token").optional(),
        }),
        strict({
            type: z.literal("pagerduty"),
            ...destinationBase,
            /** Declared secret holding the service's integration (routing) key: Events API v2 on AWS and VM, the `pagerduty` channel on GCP. */
            integrationKeySecret: secretRef("the PagerDuty integration key"),
        }),
        strict({
            type: z.literal("webhook"),
            ...destinationBase,
            /** Declared secret holding the HTTPS URL that receives the documented JSON payload (docs/notifications.md). */
            urlSecret: secretRef("the webhook URL"),
        }),
    ],
    {
        error: (iss) =>
            iss.code === "invalid_union" && (iss as { note?: string }).note === "No matching discriminator"
                ? 'type must be one of "email", "slack", "pagerduty", "webhook"'
                : undefined,
    },
);
export type Destination = z.infer<typeof destinationSchema>;

const notificationsSchema = strict({
    /** Where alarms, rollbacks and recoveries go, on every target the stack uses. @default [] */
    destinations: z.array(destinationSchema).default([]),
    /**
     * Base URL of the runbook that messages link to (the section is appended as `#anchor`).
     * @default "docs/notifications.md" (the page in this repository)
     */
    runbookUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
});

const blueGreenSchema = strict({
    /** Minutes ECS keeps blue after the switch, ready for rollback. @default 15 */
    bakeTimeMinutes: z.number().int().min(0).max(1440).default(15),
    /** Port of the test listener that serves the green revision before the switch. @default 8443 */
    testListenerPort: z.number().int().min(1).max(65535).default(8443),
    /** CIDR allowed on the test listener (your office or CI egress). */
    testCidr: z.cidrv4(),
    /** Roll back automatically when 5xx exceed this share... @default 10 */
    rollbackErrorRatePercent: percent.default(10),
    /** ...in M of this many minutes (M = 60%, below N; at least 2). @default 5 */
    rollbackErrorRateMinutes: z.number().int().min(2).max(60).default(5),
    /** Roll back automatically when p95 latency exceeds this... @default 1000 */
    rollbackP95LatencyMs: z.number().int().min(1).default(1000),
    /** ...in M of this many minutes (M = 60%, below N; at least 2). @default 10 */
    rollbackP95LatencyMinutes: z.number().int().min(2).max(60).default(10),
});

const networkSchema = z.discriminatedUnion(
    "mode",
    [
        strict({
            mode: z.literal("create"),
            /** @default "10.0.0.0/16" */
            cidrBlock: z.cidrv4().default("10.0.0.0/16"),
            /** NAT gateways: 1 is cheaper, one per AZ survives an AZ outage. @default 1 in staging, 2 in production */
            natGateways: z.number().int().min(1).max(2).optional(),
        }),
        strict({
            mode: z.literal("existing"),
            vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "must be a VPC id such as vpc-0abc123"),
            /** At least two, in different AZs, for the load balancer. */
            publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be subnet ids")).min(2),
            /** At least two, in different AZs, for tasks and the database. */
            privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be subnet ids")).min(2),
        }),
    ],
    {
        error: () =>
            'must be { mode: "create", cidrBlock? } or { mode: "existing", vpcId, publicSubnetIds, privateSubnetIds }',
    },
);

const awsSchema = strict({
    /** ACM certificate for the HTTPS listeners (in the stack's region). */
    certificateArn: z
        .string()
        .regex(
            /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
            "must be an ACM certificate ARN",
        ),
    /** @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
    sslPolicy: z
        .string()
        .regex(
            /^ELBSecurityPolicy-TLS13-1-[23]-/,
            "must be a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06",
        )
        .default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
    /** Days CloudWatch keeps container logs. @default 30 in staging, 365 in production */
    logRetentionDays: z
        .union(
            [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653].map((n) =>
                z.literal(n),
            ) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>],
        )
        .optional(),
    /** Wait for the ECS deployment to reach a steady state during `pulumi up`. @default true */
    waitForSteadyState: z.boolean().default(true),
});

const gcpSchema = strict({
    /** VPC network (self link or name) for Cloud SQL's private IP and Direct VPC egress. */
    network: z.string().min(1).optional(),
    /** Subnetwork for Direct VPC egress (private-ip connection). */
    subnetwork: z.string().min(1).optional(),
    /**
     * How Cloud Run reaches Cloud SQL: the Cloud SQL connector's unix socket under /cloudsql
     * (no VPC needed), or the instance's private IP through Direct VPC egress.
     * @default "unix-socket"
     */
    databaseConnection: z.enum(["unix-socket", "private-ip"]).default("unix-socket"),
    /** Create the private services access peering on `network` (skip when the VPC has one). @default false */
    createPrivateServiceAccess: z.boolean().default(false),
    /** Artifact Registry repository for built images. @default "services" */
    artifactRepository: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,62}$/, "must be a repository id (a-z, 0-9, -)")
        .default("services"),
});

const sshHostKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+$/,
        "must be the host's public key line, e.g. ssh-ed25519 AAAA... (ssh-keyscan -t ed25519 <host>)",
    );
const hostSchema = strict({
    /** Stable logical name of the host (resource names derive from it). */
    name: slug,
    /** Address SSH connects to. */
    address: z.string().min(1),
    /** @default "deploy" */
    user: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name")
        .default("deploy"),
    /** @default 22 */
    port: z.number().int().min(1).max(65535).default(22),
    /** The host's SSH public key, pinned: a host that answers with another key is refused. */
    hostKey: sshHostKey,
});

/** An Oracle Cloud OCID of one resource type, e.g. `ocid1.subnet.oc1.ap-tokyo-1.aaaa...`. */
const ocid = (...types: string[]) =>
    z
        .string({
            error: (iss) =>
                iss.input === undefined
                    ? `required: the OCID of the ${types[0]} (ocid1.${types[0]}.oc1..aaaa...)`
                    : undefined,
        })
        .regex(
            new RegExp(`^ocid1\\.(${types.join("|")})\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+$`),
            `must be an OCID of a ${types.join(" or ")}, e.g. ocid1.${types[0]}.oc1..aaaa...`,
        );
const sshPublicKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( \S+)?$/,
        "must be an OpenSSH public key line, e.g. the content of ~/.ssh/deploy_ed25519.pub",
    );

/**
 * `vm.provision.oci`: the VM, its network, its preparation and its monitoring made on Oracle
 * Cloud by the stack itself (components/oci/). Sizes default to the Always Free Ampere A1
 * allowance (4 OCPUs and 24 GB of memory per tenancy, 200 GB of block volume).
 */
export const ociProvisionSchema = strict({
    /** Compartment the resources go in (a tenancy OCID means the root compartment). */
    compartmentId: ocid("compartment", "tenancy"),
    /** Availability domain name, e.g. `Uocm:AP-TOKYO-1-AD-1` (`oci iam availability-domain list`). */
    availabilityDomain: z
        .string()
        .regex(
            /^[A-Za-z0-9]+:[A-Z0-9-]+-AD-\d$/,
            "must be an availability domain name such as Uocm:AP-TOKYO-1-AD-1",
        ),
    /** @default "VM.Standard.A1.Flex" (Ampere, arm64, Always Free eligible) */
    shape: z
        .string()
        .regex(/^(VM|BM)\.[A-Za-z0-9.]+$/, "must be a compute shape such as VM.Standard.A1.Flex")
        .default("VM.Standard.A1.Flex"),
    /** @default 4 (the Always Free A1 allowance) */
    ocpus: z.number().int().min(1).max(80).default(4),
    /** @default 24 (the Always Free A1 allowance) */
    memoryGiB: z.number().int().min(1).max(512).default(24),
    /** @default 50 (the smallest boot volume; Always Free covers 200 GB in all) */
    bootVolumeSizeGiB: z.number().int().min(50).max(32768).default(50),
    /** The OS image: the latest aarch64 build of an OS for the shape, or one pinned by OCID. */
    image: strict({
        /** @default "Canonical Ubuntu" */
        operatingSystem: z.enum(["Canonical Ubuntu", "Oracle Linux"]).default("Canonical Ubuntu"),
        /** @default "22.04" for Ubuntu, "9" for Oracle Linux */
        operatingSystemVersion: z
            .string()
            .regex(/^\d+(\.\d+)?$/, "must be a version such as 22.04 or 9")
            .optional(),
        /** Pin one image by OCID instead of looking up the latest. @default none */
        id: ocid("image").optional(),
    }).default({ operatingSystem: "Canonical Ubuntu" }),
    /** The deploy user's SSH public key (the private half is the vm.sshKeySecret secret). */
    sshPublicKey,
    /** Who may reach port 22 (your CI's egress range). */
    sshSourceCidr: z.cidrv4(),
    /** A key for the image's admin user (ubuntu/opc, full sudo), for break-glass access. @default none */
    adminSshPublicKey: sshPublicKey.optional(),
    /** An existing public subnet instead of a new VCN. @default none (a VCN is created) */
    subnetId: ocid("subnet").optional(),
    /** @default "10.0.0.0/16" */
    vcnCidr: z.cidrv4().optional(),
    /** @default "10.0.0.0/24" */
    subnetCidr: z.cidrv4().optional(),
    /** How nginx gets its certificate: certbot (HTTP-01 on port 80), or PEM files from declared secrets. */
    tls: z.discriminatedUnion(
        "mode",
        [
            strict({
                mode: z.literal("certbot"),
                /** Let's Encrypt account e-mail (expiry notices). */
                email: z.email(),
            }),
            strict({
                mode: z.literal("files"),
                /** Declared secret holding the PEM certificate chain. */
                certificateSecret: z.string().min(1),
                /** Declared secret holding the PEM private key. */
                keySecret: z.string().min(1),
            }),
        ],
        {
            error: () =>
                'must be { mode: "certbot", email } or { mode: "files", certificateSecret, keySecret }',
        },
    ),
    /** Minutes the first deploy waits for cloud-init to finish. @default 20 */
    cloudInitTimeoutMinutes: z.number().int().min(1).max(120).default(20),
});
export type OciProvisionConfig = z.infer<typeof ociProvisionSchema>;

const vmSchema = strict({
    /** Existing hosts; deploys go one batch at a time and stop at the first failure. @default none (with vm.provision) */
    hosts: z.array(hostSchema).min(1, "declare at least one host").optional(),
    /** Make the host instead of using existing ones (exclusive with vm.hosts). @default none */
    provision: strict({ oci: ociProvisionSchema }).optional(),
    /** A jump host in front of the hosts. @default none */
    bastion: strict({
        address: z.string().min(1),
        user: z.string().default("deploy"),
        port: z.number().int().min(1).max(65535).default(22),
        hostKey: sshHostKey,
    }).optional(),
    /** Declared secret holding the SSH private key (`pulumi config set --secret <name> < key`). */
    sshKeySecret: z.string().min(1),
    /** Container runtime on the hosts. @default "docker" */
    runtime: z.enum(["docker", "podman"]).default("docker"),
    /** Hosts deployed at once. @default 1 */
    batchSize: z.number().int().min(1).max(100).default(1),
    /** nginx in front: server name, listen port, optional TLS files on the host. */
    nginx: strict({
        serverName: z.string().min(1),
        /** @default 443 with TLS files, else 80 */
        listen: z.number().int().min(1).max(65535).optional(),
        /** @default none (plain HTTP behind something that terminates TLS) */
        tlsCertificatePath: z.string().startsWith("/").optional(),
        /** @default none */
        tlsKeyPath: z.string().startsWith("/").optional(),
    }),
    /** Seconds the old color keeps serving in-flight requests after the switch. @default 10 */
    drainSeconds: z.number().int().min(0).max(600).default(10),
    /** Seconds the new color has to become ready. @default 30 (Kamal's deploy timeout) */
    healthTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
    /**
     * Seconds the previous color keeps running after a switch, so a rollback in that window is an
     * nginx switch (no container start); then the watchdog stops it, kept for rollback. The VM's
     * bake time, as `aws.bakeTimeMinutes` is ECS's; 0 stops it right after the drain.
     * @default 900
     */
    bakeSeconds: z.number().int().min(0).max(86400).default(900),
    /** Previous versions whose images stay on the host for rollback; older images are removed. @default 2 */
    keepVersions: z.number().int().min(1).max(10).default(2),
    /**
     * First two octets of the services' container networks: service i gets <prefix>.i.0/24, its
     * colors .10 and .11 with fixed MACs, and nginx reaches them directly (no published ports,
     * whose forwarding rules the runtime rewrites on every container start and stop).
     * @default "10.213"
     */
    networkPrefix: z
        .string()
        .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/, "must be two octets, e.g. 10.213")
        .default("10.213"),
    /** @default "unless-stopped" */
    restart: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped"),
    /** Registry login for private images: user, and the declared secret with its password. @default none (public images) */
    registry: strict({ user: z.string().min(1), passwordSecret: z.string().min(1) }).optional(),
    /** The health watchdog: interval, and a declared secret with a webhook URL. */
    watchdog: strict({
        intervalSeconds: z.number().int().min(10).max(3600).default(60),
        webhookSecret: z.string().min(1).optional(),
    }).default({ intervalSeconds: 60 }),
    /** An uptime alarm on the public URL through the cloud the stack already uses. @default none */
    monitoring: strict({ provider: z.enum(["aws", "gcp"]), url: z.url({ protocol: /^https?$/ }) }).optional(),
});

/** The CPU architecture of an OCI compute shape: Ampere shapes (A1, A2, ...) are arm64. Pure. */
export function shapeArchitecture(shape: string): Architecture {
    return /\.A\d+(\.|$)/.test(shape) ? "arm64" : "amd64";
}

/** The host name the provisioned VM gets in resource names and outputs. */
export const PROVISIONED_HOST = "oci";

type VmRaw = z.infer<typeof vmSchema>;

/**
 * The rules between `vm.provision.oci` and the rest of the stack: one way to get hosts, one way
 * to pick the image and the network, a shape that runs the services' architecture, SSH closed to
 * the world in production, TLS that nginx can serve. Keys are relative to `service-deploy:`. Pure.
 */
export function ociProvisionProblems(
    vm: VmRaw,
    services: [number, ServiceConfig][],
    production: boolean,
    secrets: Record<string, SecretDecl> | undefined,
): { key: string; message: string }[] {
    const out: { key: string; message: string }[] = [];
    const o = vm.provision?.oci;
    if (vm.hosts && vm.provision)
        out.push({
            key: "vm.provision",
            message:
                "vm.hosts and vm.provision are exclusive: use existing hosts (vm.hosts) or let the stack make one (vm.provision.oci), not both",
        });
    if (!vm.hosts && !vm.provision)
        out.push({
            key: "vm.hosts",
            message: "set vm.hosts (existing hosts) or vm.provision.oci (the stack makes the VM)",
        });
    if (!o) return out;
    const at = "vm.provision.oci";
    if (vm.bastion)
        out.push({
            key: "vm.bastion",
            message: `vm.bastion and ${at} are exclusive: the provisioned VM is reached directly on its public IP, port 22 open to ${at}.sshSourceCidr only`,
        });
    if (o.image.id && o.image.operatingSystemVersion)
        out.push({
            key: `${at}.image.id`,
            message: `${at}.image.id and ${at}.image.operatingSystemVersion are exclusive: pin one image by OCID, or look up the latest of a version`,
        });
    for (const k of ["vcnCidr", "subnetCidr"] as const)
        if (o.subnetId && o[k])
            out.push({
                key: `${at}.${k}`,
                message: `${at}.subnetId and ${at}.${k} are exclusive: an existing subnet brings its own network`,
            });
    const arch = shapeArchitecture(o.shape);
    for (const [i, s] of services) {
        if (s.target !== "vm") continue;
        const want = s.architecture ?? defaultArchitecture("vm");
        if (want !== arch)
            out.push({
                key: `${at}.shape`,
                message: `${o.shape} runs ${platformOf(arch)} but services[${i}].architecture is ${want}: the container would fail with "exec format error"; use an Ampere shape such as VM.Standard.A1.Flex or set services[${i}].architecture to ${arch} with an image that has ${platformOf(arch)}`,
            });
    }
    if (production && o.sshSourceCidr.endsWith("/0"))
        out.push({
            key: `${at}.sshSourceCidr`,
            message: `${o.sshSourceCidr} opens SSH to the whole internet in production; set your CI's egress range, e.g. 198.51.100.0/24`,
        });
    if (o.image.operatingSystem === "Oracle Linux" && vm.runtime === "docker")
        out.push({
            key: "vm.runtime",
            message:
                "Oracle Linux ships podman, not docker; set vm.runtime to podman or use Canonical Ubuntu",
        });
    if (!vm.nginx.tlsCertificatePath)
        out.push({
            key: "vm.nginx.tlsCertificatePath",
            message: `a provisioned VM serves HTTPS on 443; set vm.nginx.tlsCertificatePath and tlsKeyPath${o.tls.mode === "certbot" ? ` to /etc/letsencrypt/live/${vm.nginx.serverName}/fullchain.pem and privkey.pem` : ""}`,
        });
    else if (o.tls.mode === "certbot") {
        const live = `/etc/letsencrypt/live/${vm.nginx.serverName}`;
        for (const [k, want] of [
            ["tlsCertificatePath", `${live}/fullchain.pem`],
            ["tlsKeyPath", `${live}/privkey.pem`],
        ] as const)
            if (vm.nginx[k] !== want)
                out.push({
                    key: `vm.nginx.${k}`,
                    message: `certbot writes the certificate to ${want}; set vm.nginx.${k} to it`,
                });
    }
    if (vm.nginx.listen !== undefined && vm.nginx.listen !== 443)
        out.push({
            key: "vm.nginx.listen",
            message: "the provisioned VM's network opens 443 only; remove vm.nginx.listen or set it to 443",
        });
    if (o.tls.mode === "files" && secrets)
        for (const k of ["certificateSecret", "keySecret"] as const)
            if (!(o.tls[k] in secrets))
                out.push({
                    key: `${at}.tls.${k}`,
                    message: `must name a declared secret (declared: ${Object.keys(secrets).join(", ") || "none"})`,
                });
    return out;
}

/** Shape of the config keys, before secrets are added. Keys are the part after `service-deploy:`. */
export const stackConfigShape = {
    /** Environment name: staging, production, or any other. */
    environment: slug,
    /** Whether production guardrails apply. @default environment === "production" */
    production: z.boolean().optional(),
    services: z.array(serviceSchema).min(1, "declare at least one service"),
    database: databaseSchema.optional(),
    /** Secrets the services may reference, by name. @default {} */
    secrets: z
        .record(
            z.string().regex(/^[a-z][A-Za-z0-9]{1,62}$/, "secret names are camelCase, e.g. stripeApiKey"),
            secretSchema,
        )
        .default({}),
    alarms: alarmsSchema.default(alarmsSchema.parse({})),
    /** Slack, PagerDuty, e-mail and webhook destinations for every target. @default { destinations: [] } */
    notifications: notificationsSchema.default({ destinations: [] }),
    blueGreen: blueGreenSchema.optional(),
    network: networkSchema.default({ mode: "create", cidrBlock: "10.0.0.0/16" }),
    aws: awsSchema.optional(),
    gcp: gcpSchema.optional(),
    vm: vmSchema.optional(),
};

const stackConfigSchema = strict(stackConfigShape);
/** The whole stack config as parsed (before per-environment defaults). */
export type RawStackConfig = z.infer<typeof stackConfigSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type SecretDecl = z.infer<typeof secretSchema>;

// ---------------------------------------------------------------------------------------------
// Normalized config: defaults per environment resolved, cross-field rules checked
// ---------------------------------------------------------------------------------------------

export interface Sizing {
    vcpu: number;
    memoryMiB: number;
    desiredCount: number;
}

/**
 * The seed's sizes. Fargate: staging 1 task x 0.5 vCPU / 1 GB, production 3 tasks x 1 vCPU / 2 GB.
 * Cloud Run scales by instances (desiredCount unused): 1 vCPU (below 1 needs concurrency 1) with
 * 512 MiB in staging, 1 GiB in production.
 */
export function defaultSizing(production: boolean, target: Target = "aws"): Sizing {
    // Seed section 2: production 1 GB / 1 CPU, staging 512 MB / 0.5 CPU on the VM.
    if (target === "vm")
        return production
            ? { vcpu: 1, memoryMiB: 1024, desiredCount: 1 }
            : { vcpu: 0.5, memoryMiB: 512, desiredCount: 1 };
    if (target === "gcp")
        return production
            ? { vcpu: 1, memoryMiB: 1024, desiredCount: 1 }
            : { vcpu: 1, memoryMiB: 512, desiredCount: 1 };
    return production
        ? { vcpu: 1, memoryMiB: 2048, desiredCount: 3 }
        : { vcpu: 0.5, memoryMiB: 1024, desiredCount: 1 };
}

/** Default architecture per target: Graviton on AWS; Cloud Run runs amd64 only. Pure. */
export function defaultArchitecture(target: Target): Architecture {
    return target === "gcp" ? "amd64" : "arm64";
}

/** Why a vCPU/memory/concurrency triple is not a Cloud Run size, or undefined. Pure. */
export function cloudRunSizeProblem(
    vcpu: number,
    memoryMiB: number,
    concurrency: number,
): string | undefined {
    if (![0.25, 0.5, 1, 2, 4, 6, 8].includes(vcpu))
        return `${vcpu} vCPU is not a Cloud Run size; choose 0.25, 0.5, 1, 2, 4, 6 or 8`;
    if (vcpu < 1 && concurrency > 1)
        return `below 1 vCPU Cloud Run serves one request at a time; set cloudRun.concurrency to 1 or vcpu to 1`;
    const min = vcpu >= 6 ? 4096 : vcpu >= 4 ? 2048 : 128;
    const max = vcpu <= 1 ? 4096 : vcpu <= 2 ? 8192 : vcpu <= 4 ? 16384 : 32768;
    if (memoryMiB < min || memoryMiB > max)
        return `${memoryMiB} MiB is not a Cloud Run size for ${vcpu} vCPU; choose ${min}-${max} MiB`;
    return undefined;
}

/** Memory sizes (MiB) Fargate accepts for a vCPU count. */
export function fargateMemoryOptions(vcpu: number): number[] {
    const range = (from: number, to: number, step: number) =>
        Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
    switch (vcpu) {
        case 0.25:
            return [512, 1024, 2048];
        case 0.5:
            return range(1024, 4096, 1024);
        case 1:
            return range(2048, 8192, 1024);
        case 2:
            return range(4096, 16384, 1024);
        case 4:
            return range(8192, 30720, 1024);
        case 8:
            return range(16384, 61440, 4096);
        case 16:
            return range(32768, 122880, 8192);
        default:
            return [];
    }
}

/** Why a vCPU/memory pair is not a Fargate size, or undefined when it is. Pure. */
export function fargateSizeProblem(vcpu: number, memoryMiB: number): string | undefined {
    const allowed = fargateMemoryOptions(vcpu);
    if (allowed.length === 0) return `${vcpu} vCPU is not a Fargate size; choose 0.25, 0.5, 1, 2, 4, 8 or 16`;
    if (allowed.includes(memoryMiB)) return undefined;
    return `${memoryMiB} MiB is not a Fargate size for ${vcpu} vCPU; choose one of ${allowed[0]}-${allowed[allowed.length - 1]} (${allowed.join(", ")})`;
}

export interface DatabaseConfig {
    /** The target the database lives on: that of the services reading it. */
    target: Target;
    engineVersion: string;
    instanceClass: string;
    tier: string;
    allocatedStorageGiB: number;
    maxAllocatedStorageGiB: number;
    multiAz: boolean;
    backupRetentionDays: number;
    deletionProtection: boolean;
    performanceInsights: boolean;
    name: string;
    username: string;
}

export function databaseDefaults(
    production: boolean,
): Omit<
    DatabaseConfig,
    "target" | "engineVersion" | "allocatedStorageGiB" | "maxAllocatedStorageGiB" | "name" | "username"
> {
    return production
        ? {
              instanceClass: "db.r6g.xlarge",
              tier: "db-custom-2-7680",
              multiAz: true,
              backupRetentionDays: 14,
              deletionProtection: true,
              performanceInsights: true,
          }
        : {
              instanceClass: "db.t4g.micro",
              tier: "db-g1-small",
              multiAz: false,
              backupRetentionDays: 3,
              deletionProtection: false,
              performanceInsights: false,
          };
}

export type CloudRunConfig = Omit<NonNullable<ServiceConfig["cloudRun"]>, "minInstances"> & {
    minInstances: number;
};

export type NormalizedService = Omit<
    ServiceConfig,
    "vcpu" | "memoryMiB" | "desiredCount" | "architecture" | "cloudRun"
> &
    Sizing & {
        architecture: Architecture;
        /** Resolved Cloud Run settings (gcp services). */
        cloudRun?: CloudRunConfig;
    };

export interface StackConfig extends Omit<RawStackConfig, "services" | "database" | "production"> {
    production: boolean;
    services: NormalizedService[];
    database?: DatabaseConfig;
    /** Values of `source: config` secrets, read from their own config keys (Pulumi secrets). */
    secretValues: Record<string, string>;
    logRetentionDays: number;
    /** Project and region from the gcp provider's config (`gcp:project`, `gcp:region`), when a service targets gcp. */
    gcpLocation?: { project: string; region: string };
    /** Things worth a look that deploy anyway: env set that the app's declaration never reads. */
    warnings: string[];
}

export interface ConfigProblem {
    /** Full config key with the project prefix and a path inside it, e.g. `service-deploy:services[0].port`. */
    key: string;
    message: string;
}

export class ConfigError extends Error {
    constructor(
        public readonly file: string,
        public readonly problems: ConfigProblem[],
    ) {
        super(
            `${problems.length} problem${problems.length === 1 ? "" : "s"} in the stack config (${file}); nothing was deployed:\n` +
                problems.map((p) => `  - ${file}: ${p.key}: ${p.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

function keyOf(path: readonly PropertyKey[]): string {
    let out = PROJECT;
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
    });
    return out;
}

/** Parse a config value the way Pulumi's `config.getObject` would, keeping plain strings as they are. */
function decode(value: string): unknown {
    const t = value.trim();
    if (
        t.startsWith("{") ||
        t.startsWith("[") ||
        t === "true" ||
        t === "false" ||
        /^-?\d+(\.\d+)?$/.test(t)
    ) {
        try {
            return JSON.parse(t);
        } catch {
            return value;
        }
    }
    return value;
}

export interface ParseInput {
    /** Pulumi's flat config map (`pulumi.runtime.allConfig()`): `namespace:key` to string. */
    config: Record<string, string>;
    /** Whether Pulumi holds a key as a secret (`secure:` in the stack file). */
    isSecret: (fullKey: string) => boolean;
    /** The stack file, for messages. */
    file: string;
    /**
     * Accept placeholder values (AWS's example account, documentation networks, example.com):
     * the offline plan and tests do; a real run does not. @default true
     */
    allowPlaceholders?: boolean;
    /**
     * The app's env declaration of a service, when known before deploying.
     * @default a build's context `.env.example`; undefined for a prebuilt `ref` (its image label is read later)
     */
    declarationOf?: (service: ServiceConfig) => KnownDeclaration | undefined;
}

/** The default declaration lookup: a build context's `.env.example`. */
export function contextDeclarationOf(service: ServiceConfig): KnownDeclaration | undefined {
    return "build" in service.image ? readContextDeclaration(service.image.build.context) : undefined;
}

/**
 * Parse and normalize the whole stack config. Throws one `ConfigError` carrying every problem;
 * returns the normalized config otherwise. Pure: no Pulumi calls.
 */
export function parseStackConfig({
    config,
    isSecret,
    file,
    allowPlaceholders = true,
    declarationOf = contextDeclarationOf,
}: ParseInput): StackConfig {
    const ours: Record<string, unknown> = {};
    const rawStrings: Record<string, string> = {};
    for (const [fullKey, value] of Object.entries(config)) {
        const i = fullKey.indexOf(":");
        if (i < 0 || fullKey.slice(0, i) !== PROJECT) continue;
        const k = fullKey.slice(i + 1);
        rawStrings[k] = value;
        ours[k] = decode(value);
    }
    const problems: ConfigProblem[] = [];

    // Secret declarations first: their names are config keys too.
    const declared = stackConfigShape.secrets.safeParse(ours.secrets);
    const secretNames = declared.success ? Object.keys(declared.data) : [];
    const knownKeys = [...Object.keys(stackConfigShape), ...secretNames];
    const structural: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ours)) {
        if (k in stackConfigShape) structural[k] = v;
        else if (!secretNames.includes(k)) {
            const s = suggestKey(k, knownKeys);
            problems.push({
                key: `${PROJECT}:${k}`,
                message:
                    `unknown config key${s ? ` (did you mean "${PROJECT}:${s}"?)` : ""}. Known keys: ${knownKeys.join(", ")}` +
                    (secretNames.length === 0
                        ? "; a secret's key exists only once it is declared under secrets"
                        : ""),
            });
        }
    }

    // Each key is parsed on its own, and each service on its own, so that one malformed part
    // does not hide the problems of the others: every problem is reported in one run.
    const pieces: Partial<RawStackConfig> = {};
    const shape = stackConfigShape as Record<string, z.ZodType>;
    for (const k of Object.keys(stackConfigShape)) {
        if (k === "services") continue;
        const r = shape[k].safeParse(structural[k]);
        if (r.success) (pieces as Record<string, unknown>)[k] = r.data;
        else
            for (const issue of r.error.issues)
                problems.push({ key: keyOf([k, ...issue.path]), message: issue.message });
    }
    const services: [number, ServiceConfig][] = [];
    const list = z.array(z.unknown()).min(1, "declare at least one service").safeParse(structural.services);
    if (!list.success) {
        for (const issue of list.error.issues)
            problems.push({ key: keyOf(["services", ...issue.path]), message: issue.message });
    } else {
        list.data.forEach((item, i) => {
            const r = serviceSchema.safeParse(item);
            if (r.success) services.push([i, r.data]);
            else {
                for (const issue of r.error.issues)
                    problems.push({ key: keyOf(["services", i, ...issue.path]), message: issue.message });
                // The sizing rule still runs on what is there, so it is not reported one run later.
                const raw = (item ?? {}) as Record<string, unknown>;
                const vcpu = typeof raw.vcpu === "number" ? raw.vcpu : undefined;
                const memory = typeof raw.memoryMiB === "number" ? raw.memoryMiB : undefined;
                const p =
                    raw.target === "aws" && vcpu !== undefined && memory !== undefined
                        ? fargateSizeProblem(vcpu, memory)
                        : undefined;
                if (p && !problems.some((x) => x.key === keyOf(["services", i, "memoryMiB"])))
                    problems.push({ key: keyOf(["services", i, "memoryMiB"]), message: p });
            }
        });
    }
    // Config-sourced secrets: present, and held as Pulumi secrets.
    const secretValues: Record<string, string> = {};
    if (declared.success) {
        for (const [name, decl] of Object.entries(declared.data)) {
            const fullKey = `${PROJECT}:${name}`;
            if (decl.source !== "config") {
                if (name in rawStrings)
                    problems.push({
                        key: fullKey,
                        message: `secret "${name}" is generated, so it must not also be set in config; remove the key or declare it source: config`,
                    });
                continue;
            }
            if (!(name in rawStrings)) {
                problems.push({
                    key: fullKey,
                    message: `secret "${name}" is declared with source: config but not set; run: pulumi config set --secret ${name} <value>`,
                });
            } else if (!isSecret(fullKey)) {
                problems.push({
                    key: fullKey,
                    message: `secret "${name}" is stored in plain text in ${file}; remove it and run: pulumi config set --secret ${name} <value>`,
                });
            } else if (rawStrings[name].length === 0) {
                problems.push({ key: fullKey, message: `secret "${name}" is empty` });
            } else {
                secretValues[name] = rawStrings[name];
            }
        }
    }

    const production = pieces.production ?? pieces.environment === "production";
    const normalized = services.map(([i, svc]) => normalizeService(svc, i, production, pieces, problems));
    checkCrossField(pieces, services, problems);
    if (!allowPlaceholders && services.some(([, svc]) => svc.target === "aws"))
        for (const p of awsPlaceholders({ ...pieces, services: services.map(([, svc]) => svc) }))
            problems.push({ key: p.key, message: describePlaceholder(p).slice(p.key.length + 2) });
    // The env map against the app's own declaration, and no literal credentials (docs/env-contract.md).
    const warnings: string[] = [];
    for (const [i, svc] of services) {
        for (const p of literalCredentials(svc.env))
            problems.push({ key: keyOf(["services", i, "env", p.variable]), message: p.message });
        let known: KnownDeclaration | undefined;
        try {
            known = declarationOf(svc);
        } catch (e) {
            if (!(e instanceof DeclarationError)) throw e;
            problems.push({
                key: keyOf(["services", i, "image"]),
                message: `the app's env declaration is invalid:\n      ${e.message.split("\n").join("\n      ")}`,
            });
        }
        if (!known) continue;
        const r = envAgainstDeclaration(svc.name, svc.target, svc.env, known);
        for (const p of r.errors)
            problems.push({ key: keyOf(["services", i, "env", p.variable]), message: p.message });
        for (const w of r.warnings)
            warnings.push(`${file}: ${keyOf(["services", i, "env", w.variable])}: ${w.message}`);
    }
    let gcpLocation: StackConfig["gcpLocation"];
    if (services.some(([, svc]) => svc.target === "gcp")) {
        for (const k of ["gcp:project", "gcp:region"]) {
            if (!config[k])
                problems.push({
                    key: k,
                    message: `a service targets gcp, so set the Google provider's ${k.split(":")[1]}: pulumi config set ${k} <${k === "gcp:project" ? "project-id" : "region, e.g. asia-east1"}>`,
                });
        }
        gcpLocation = { project: config["gcp:project"], region: config["gcp:region"] };
    }
    if (problems.length > 0) throw new ConfigError(file, problems);

    const raw = { ...pieces, services: services.map(([, svc]) => svc) } as RawStackConfig;
    const dbTarget =
        normalized.find((svc) =>
            Object.values(svc.env).some((e) => "from" in e && e.from.startsWith("database.")),
        )?.target ?? normalized[0].target;
    const database = raw.database
        ? ({
              ...databaseDefaults(production),
              ...stripUndefined(raw.database),
              target: dbTarget,
          } as DatabaseConfig)
        : undefined;
    return {
        ...raw,
        production,
        services: normalized,
        database,
        secretValues,
        logRetentionDays: raw.aws?.logRetentionDays ?? (production ? 365 : 30),
        gcpLocation,
        warnings,
    };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function normalizeService(
    s: ServiceConfig,
    i: number,
    production: boolean,
    raw: Partial<RawStackConfig>,
    problems: ConfigProblem[],
): NormalizedService {
    const base = ["services", i] as const;
    const d = defaultSizing(production, s.target);
    const vcpu = s.vcpu ?? d.vcpu;
    const memoryMiB =
        s.memoryMiB ??
        (s.vcpu === undefined || s.target === "gcp" ? d.memoryMiB : fargateMemoryOptions(vcpu)[0]);
    const architecture = s.architecture ?? defaultArchitecture(s.target);
    let cloudRun: CloudRunConfig | undefined;
    if (s.target === "vm") {
        if ("build" in s.image)
            problems.push({
                key: keyOf([...base, "image", "build"]),
                message:
                    "the vm target runs prebuilt images: build and push in CI (--platform linux/amd64,linux/arm64) and set image.ref to the digest",
            });
        if (s.cloudRun)
            problems.push({
                key: keyOf([...base, "cloudRun"]),
                message: `service "${s.name}" targets vm; cloudRun settings apply to target gcp only`,
            });
    } else if (s.target === "aws") {
        const sizeProblem = fargateSizeProblem(vcpu, memoryMiB);
        if (sizeProblem) problems.push({ key: keyOf([...base, "memoryMiB"]), message: sizeProblem });
        if (s.cloudRun)
            problems.push({
                key: keyOf([...base, "cloudRun"]),
                message: `service "${s.name}" targets aws; cloudRun settings apply to target gcp only`,
            });
    } else {
        const cr = s.cloudRun ?? cloudRunSchema.parse({});
        cloudRun = { ...cr, minInstances: cr.minInstances ?? (production ? 1 : 0) };
        const sizeProblem = cloudRunSizeProblem(vcpu, memoryMiB, cloudRun.concurrency);
        if (sizeProblem)
            problems.push({
                key: keyOf([...base, s.vcpu !== undefined && vcpu < 1 ? "vcpu" : "memoryMiB"]),
                message: sizeProblem,
            });
        if (architecture !== "amd64")
            problems.push({
                key: keyOf([...base, "architecture"]),
                message: `Cloud Run runs linux/amd64 only; remove architecture or set it to amd64 (seed 3: "exec format error")`,
            });
        for (const problem of cloudRunProblems(cloudRun, production))
            problems.push({ key: keyOf([...base, "cloudRun", ...problem.path]), message: problem.message });
        for (const problem of cloudRunEnvProblems(s.env))
            problems.push({ key: keyOf([...base, "env", problem.name]), message: problem.message });
        const tagProblem = cloudRunTagLengthProblem(s.name);
        if (tagProblem) problems.push({ key: keyOf([...base, "name"]), message: tagProblem });
    }
    if ("build" in s.image && !s.image.build.platforms.includes(platformOf(architecture) as never)) {
        problems.push({
            key: keyOf([...base, "image", "build", "platforms"]),
            message: `service "${s.name}" runs on ${platformOf(architecture)} but the build only produces ${s.image.build.platforms.join(", ")}; add ${platformOf(architecture)}`,
        });
    }
    for (const [name, entry] of Object.entries(s.env)) {
        if ("secret" in entry && raw.secrets && !(entry.secret in raw.secrets)) {
            problems.push({
                key: keyOf([...base, "env", name, "secret"]),
                message: `refers to secret "${entry.secret}", which is not declared under ${PROJECT}:secrets (declared: ${Object.keys(raw.secrets).join(", ") || "none"})`,
            });
        }
        if ("from" in entry && entry.from.startsWith("database.") && raw.database === undefined) {
            problems.push({
                key: keyOf([...base, "env", name, "from"]),
                message: `reads ${entry.from} but the stack declares no ${PROJECT}:database`,
            });
        }
    }
    const { cloudRun: _raw, ...rest } = s;
    return {
        ...rest,
        architecture,
        vcpu,
        memoryMiB,
        desiredCount: s.desiredCount ?? d.desiredCount,
        ...(cloudRun ? { cloudRun } : {}),
    };
}

/**
 * Env names Cloud Run sets itself and refuses in a revision ("The following reserved env names
 * were provided: PORT"), from the recorded extract of Google's container runtime contract
 * (scripts/conformance/rules/gcp.json, regenerated by scripts/conformance/rules/gcp-extract.ts).
 */
export const CLOUD_RUN_RESERVED_ENV: readonly string[] = gcpRules.run.reservedEnv;

/**
 * A contract entry a Cloud Run service cannot set. `PORT: { from: service.port }` is fine: Cloud
 * Run sets PORT to the containerPort, which is `port`, so the contract holds without an env entry
 * (AWS and the VM still set it). Any other reserved name, or PORT from anywhere else, is refused. Pure.
 */
export function cloudRunEnvProblems(env: Record<string, EnvEntry>): { name: string; message: string }[] {
    const out: { name: string; message: string }[] = [];
    for (const [name, entry] of Object.entries(env)) {
        if (!CLOUD_RUN_RESERVED_ENV.includes(name)) continue;
        if (name === "PORT" && "from" in entry && entry.from === "service.port") continue;
        out.push({
            name,
            message:
                name === "PORT"
                    ? "Cloud Run sets PORT itself to the container port and refuses a revision that sets it; declare it as { from: service.port } (Cloud Run then satisfies it from port) or remove it"
                    : `Cloud Run sets ${name} itself and refuses a revision that sets it ("reserved env names"); remove it from env and let the app read the value Cloud Run provides`,
        });
    }
    return out;
}

/** Cloud Run's limit on a tag plus its service name (the tag URL `<tag>---<service>-...`). */
export const CLOUD_RUN_SERVICE_TAG_MAX: number = gcpRules.run.limits.serviceNamePlusTagMax;

/** Length of the tags the GCP target gives revisions: `rev-<digest 12 hex>-<config 6 hex>`. */
export const CLOUD_RUN_TAG_LENGTH = "rev-".length + 12 + 1 + 6;

/** A service name too long for its revisions' tags. Pure. */
export function cloudRunTagLengthProblem(service: string): string | undefined {
    const max = CLOUD_RUN_SERVICE_TAG_MAX - CLOUD_RUN_TAG_LENGTH;
    if (service.length <= max) return undefined;
    return `Cloud Run allows at most ${CLOUD_RUN_SERVICE_TAG_MAX} characters for a service name and a tag together; revision tags take ${CLOUD_RUN_TAG_LENGTH}, so a Cloud Run service name may have at most ${max} (got ${service.length})`;
}

/** Cloud Run's limits and the traffic rules, for one service's settings. Pure. */
export function cloudRunProblems(
    c: CloudRunConfig,
    production: boolean,
): { path: (string | number)[]; message: string }[] {
    const out: { path: (string | number)[]; message: string }[] = [];
    if (production && c.minInstances < 1)
        out.push({
            path: ["minInstances"],
            message:
                "production keeps at least 1 instance warm, so the first request never waits for a cold start",
        });
    if (c.minInstances > c.maxInstances)
        out.push({ path: ["minInstances"], message: `must not exceed maxInstances (${c.maxInstances})` });
    for (const [probe, p] of [
        ["startupProbe", c.startupProbe],
        ["livenessProbe", c.livenessProbe],
    ] as const) {
        if (probe === "startupProbe" && p.periodSeconds > 240)
            out.push({
                path: [probe, "periodSeconds"],
                message: `Cloud Run allows at most 240 s for a startup probe period (got ${p.periodSeconds})`,
            });
        if (p.initialDelaySeconds > 240)
            out.push({
                path: [probe, "initialDelaySeconds"],
                message: `Cloud Run allows at most 240 s (got ${p.initialDelaySeconds})`,
            });
        if (p.timeoutSeconds > p.periodSeconds)
            out.push({
                path: [probe, "timeoutSeconds"],
                message: `must not exceed periodSeconds (${p.periodSeconds})`,
            });
    }
    const window = c.startupProbe.failureThreshold * c.startupProbe.periodSeconds;
    if (window > gcpRules.run.limits.startupProbeWindowMaxSeconds)
        out.push({
            path: ["startupProbe", "failureThreshold"],
            message: `failureThreshold x periodSeconds is ${window} s; Cloud Run allows a startup probe at most ${gcpRules.run.limits.startupProbeWindowMaxSeconds} s before it shuts the container down`,
        });
    if (c.traffic.percent < 100 && !c.traffic.previous)
        out.push({
            path: ["traffic", "previous"],
            message: `the new revision gets ${c.traffic.percent}%, so name the revision serving the other ${100 - c.traffic.percent}% (the servingRevision output)`,
        });
    return out;
}

function checkCrossField(
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
                    message: `must name a declared secret (declared: ${Object.keys(raw.secrets).join(", ") || "none"})`,
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
            message: "a service targets aws, so set blueGreen.testCidr (who may reach the test listener)",
        });
    if (raw.blueGreen && raw.blueGreen.testListenerPort === 443)
        problems.push({
            key: `${PROJECT}:blueGreen.testListenerPort`,
            message: "443 is the production listener; choose another port such as 8443",
        });
    if (raw.blueGreen && raw.blueGreen.testCidr === "0.0.0.0/0")
        problems.push({
            key: `${PROJECT}:blueGreen.testCidr`,
            message: "0.0.0.0/0 opens the unreleased revision to the world; use your office or CI range",
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
            message:
                "an SNS https subscription to a Slack or PagerDuty URL never confirms and a Cloud Monitoring webhook posts JSON Slack rejects (no_text); declare it under notifications.destinations instead, e.g. { name: oncall, type: slack, webhookSecret: <secret> } (docs/notifications.md)",
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

/** Cross-field rules of `notifications`: secrets declared and set from config, names unique, GCP's needs. Pure. */
export function notificationProblems(
    raw: Partial<RawStackConfig>,
    uses: { gcp: boolean; webhooks: boolean },
): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const declared = raw.secrets ?? {};
    const names = new Map<string, number>();
    (raw.notifications?.destinations ?? []).forEach((d, i) => {
        const at = (k: string) => `${PROJECT}:notifications.destinations[${i}].${k}`;
        if (names.has(d.name))
            out.push({
                key: at("name"),
                message: `duplicate destination name "${d.name}" (also destinations[${names.get(d.name)}])`,
            });
        names.set(d.name, i);
        const refs: [string, string | undefined][] =
            d.type === "slack"
                ? [
                      ["webhookSecret", d.webhookSecret],
                      ["tokenSecret", d.tokenSecret],
                  ]
                : d.type === "pagerduty"
                  ? [["integrationKeySecret", d.integrationKeySecret]]
                  : d.type === "webhook"
                    ? [["urlSecret", d.urlSecret]]
                    : [];
        for (const [k, name] of refs) {
            if (name === undefined) continue;
            const decl = declared[name];
            if (!decl)
                out.push({
                    key: at(k),
                    message: `refers to secret "${name}", which is not declared under ${PROJECT}:secrets (declared: ${Object.keys(declared).join(", ") || "none"}); declare it { source: config } and run: pulumi config set --secret ${name} <value>`,
                });
            else if (decl.source !== "config")
                out.push({
                    key: at(k),
                    message: `secret "${name}" is generated, but a vendor issues this value; declare it { source: config } and run: pulumi config set --secret ${name} <value>`,
                });
        }
        if (uses.webhooks && d.type === "slack" && !d.webhookSecret)
            out.push({
                key: at("webhookSecret"),
                message:
                    "a service targets aws or vm, where alarms reach Slack through an incoming webhook: name the declared secret holding its URL (pulumi config set --secret <name> https://hooks.slack.com/services/...)",
            });
        if (uses.gcp && d.type === "slack" && (!d.channel || !d.tokenSecret))
            out.push({
                key: at(d.channel ? "tokenSecret" : "channel"),
                message:
                    "a service targets gcp, whose slack notification channel posts as a Slack app: set channel (e.g. #oncall) and tokenSecret (the app's xoxb- OAuth token, a declared secret)",
            });
    });
    return out;
}

/**
 * The database path of a GCP stack, for what Cloud SQL and Cloud Run accept. The instance has a
 * private IP only, so either connection needs Direct VPC egress: the Cloud SQL connector behind
 * the /cloudsql socket dials the instance's private IP from the service's network path, and
 * without egress it cannot reach it ("Cloud SQL connection failed", the app waits on the socket).
 * Point-in-time recovery keeps transaction logs for fewer days than the backups it replays from
 * (1-7 days, below the retained backup count). Pure.
 */
export function gcpDatabaseProblems(
    gcp: { subnetwork?: string; databaseConnection?: string } | undefined,
    backupRetentionDays: number | undefined,
): { key: string; message: string }[] {
    const out: { key: string; message: string }[] = [];
    if (!gcp?.subnetwork)
        out.push({
            key: "gcp.subnetwork",
            message: `Cloud SQL has a private IP only, so Cloud Run reaches it through Direct VPC egress (${gcp?.databaseConnection ?? "unix-socket"} too: the Cloud SQL connector dials the private IP); set gcp.subnetwork to a subnet of gcp.network in the service's region`,
        });
    if (backupRetentionDays !== undefined && backupRetentionDays < 2)
        out.push({
            key: "database.backupRetentionDays",
            message:
                "Cloud SQL keeps point-in-time recovery logs for fewer days than the retained backups (at least 1), so keep at least 2 backups",
        });
    return out;
}

/**
 * Every config key path the schema accepts, e.g. `services[].health.readiness`, for the README's
 * config reference (test/readme.test.ts keeps the two equal). Secret names are user-chosen keys.
 */
export function schemaKeyPaths(): string[] {
    const out = new Set<string>();
    const walk = (schema: z.ZodType, at: string): void => {
        const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
        switch (def.type) {
            case "optional":
            case "default":
            case "nullable":
            case "prefault":
            case "readonly":
                walk(def.innerType, at);
                return;
            case "pipe":
                walk(def.in, at);
                return;
            case "array":
                walk(def.element, `${at}[]`);
                return;
            case "union":
                for (const o of def.options) walk(o, at);
                return;
            case "record":
                walk(def.valueType, `${at}.<name>`);
                return;
            case "object":
                for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) {
                    const p = at ? `${at}.${k}` : k;
                    out.add(p);
                    walk(v, p);
                }
                return;
            default:
                return;
        }
    };
    for (const [k, v] of Object.entries(stackConfigShape)) {
        out.add(k);
        walk(v as z.ZodType, k);
    }
    out.add("<secretName>");
    return [...out].sort();
}
