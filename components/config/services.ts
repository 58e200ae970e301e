/** `services[]`: one service's schema: image, health, probes, Cloud Run settings, smoke checks, env. */
import { z } from "zod";
import { envEntrySchema } from "../contract";
import { cite } from "../failures";
import { ARCHITECTURES, TARGETS, path, slug, strict } from "./common";

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
                    cite(
                        "SD-004",
                        "must be pinned by digest: <registry>/<name>@sha256:<64 hex digits> (a tag alone is mutable)",
                    ),
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
                 * from what the build is made of and the last commit that changed the context
                 * (components/image.ts buildTag): same sources and commit, same tag.
                 * @default "src-<12 hex of sha256(context files, dockerfile, platforms)>-<12 hex of the context's last commit>"
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
const REVISION_MESSAGE = cite(
    "SD-020",
    "must be a revision name from the servingRevision output, e.g. api-4f2a9c1e7b3d-0a1b2c",
);

export const cloudRunSchema = strict({
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
        previous: z.string().regex(REVISION, REVISION_MESSAGE).optional(),
        /** Older revisions to keep addressable at 0%. @default [] */
        keep: z.array(z.string().regex(REVISION, REVISION_MESSAGE)).default([]),
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

export const serviceSchema = strict({
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
    /** Cloud Run settings (target gcp only). @default see docs/gcp.md and docs/configuration.md */
    cloudRun: cloudRunSchema.optional(),
    image: imageSchema,
    /** The app's env contract: every variable the app reads, and where its value comes from. */
    env: z
        .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "env var names are UPPER_SNAKE_CASE"), envEntrySchema)
        .default({}),
});

export type ServiceConfig = z.infer<typeof serviceSchema>;
