/**
 * (Shared by the policy tests and `npm run bench:policies`.)
 * Happy-path resources for policy tests: each passes every policy. A test changes one field and
 * expects that exact violation.
 */
import type { GraphResource } from "./policy-engine";

export const DIGEST = `sha256:${"ab".repeat(32)}`;
export const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api@${DIGEST}`;

export const CONTRACTS = {
    api: {
        env: {
            APP_ENV: "plain",
            LOG_LEVEL: "plain",
            PORT: "plain",
            DATABASE_URL: "secret",
            STRIPE_API_KEY: "secret",
        },
        health: { liveness: "/liveness", readiness: "/readiness", health: "/health" },
        architecture: "arm64",
    },
} as const;

export const CONFIG = {
    "image-platform-matches-target": { contracts: CONTRACTS },
    "env-contract-complete": { contracts: CONTRACTS },
    "no-plaintext-secrets": { contracts: CONTRACTS },
    "health-checks-consistent": { contracts: CONTRACTS },
    "production-database": { production: true },
    "production-builds-nothing": { production: true },
    "edge-security": { production: true },
};

let n = 0;
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

export interface Container {
    name?: string;
    image?: string;
    environment?: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
}

export const ecsContainer = (c: Container = {}) => ({
    name: "api",
    image: IMAGE,
    environment: [
        { name: "APP_ENV", value: "production" },
        { name: "LOG_LEVEL", value: "info" },
        { name: "PORT", value: "8080" },
    ],
    secrets: ["DATABASE_URL", "STRIPE_API_KEY"].map((s) => ({
        name: s,
        valueFrom: `arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api-AbC:${s}::`,
    })),
    ...c,
});

export const taskDefinition = (c: Container = {}, props: Record<string, any> = {}) =>
    resource("aws:ecs/taskDefinition:TaskDefinition", "api-task", {
        family: "api",
        containerDefinitions: JSON.stringify([ecsContainer(c)]),
        runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
        tags: {
            "service-deploy:service": "api",
            "service-deploy:image-platforms": "linux/amd64,linux/arm64",
        },
        ...props,
    });

export const cloudRunContainer = (c: Record<string, any> = {}) => ({
    name: "api",
    image: IMAGE,
    envs: [
        { name: "APP_ENV", value: "production" },
        { name: "LOG_LEVEL", value: "info" },
        { name: "PORT", value: "8080" },
        { name: "DATABASE_URL", valueSource: { secretKeyRef: { secret: "api-database-url", version: "3" } } },
        { name: "STRIPE_API_KEY", valueSource: { secretKeyRef: { secret: "api-stripe", version: "1" } } },
    ],
    startupProbe: {
        httpGet: { path: "/readiness" },
        periodSeconds: 5,
        timeoutSeconds: 3,
        failureThreshold: 24,
    },
    livenessProbe: {
        httpGet: { path: "/liveness" },
        periodSeconds: 15,
        timeoutSeconds: 3,
        failureThreshold: 3,
    },
    ...c,
});

export const cloudRun = (c: Record<string, any> = {}, props: Record<string, any> = {}) =>
    resource("gcp:cloudrunv2/service:Service", "api-run", {
        name: "api",
        labels: { "image-platforms": "linux-amd64_linux-arm64" },
        template: { containers: [cloudRunContainer(c)] },
        ...props,
    });

export const VM_CREATE =
    "sh /opt/service-deploy/service-deploy.sh deploy --service=api --image=" +
    IMAGE +
    " --arch=arm64 --image-platforms=linux/amd64,linux/arm64 --readiness-path=/readiness" +
    " --env-plain=APP_ENV --env-plain=LOG_LEVEL --env-plain=PORT --env-secret=DATABASE_URL --env-secret=STRIPE_API_KEY";

export const vmDeploy = (
    props: Record<string, any> = {},
    options: GraphResource["options"] = { additionalSecretOutputs: ["stdout", "stderr"] },
) =>
    resource(
        "command:remote:Command",
        "api-deploy",
        {
            create: VM_CREATE,
            logging: "stderr",
            connection: { host: "203.0.113.10", user: "deploy" },
            ...props,
        },
        { options },
    );

export const rds = (props: Record<string, any> = {}) =>
    resource("aws:rds/instance:Instance", "db", {
        engine: "postgres",
        multiAz: true,
        backupRetentionPeriod: 14,
        deletionProtection: true,
        storageEncrypted: true,
        publiclyAccessible: false,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: "db-final",
        ...props,
    });

export const cloudSql = (settings: Record<string, any> = {}, props: Record<string, any> = {}) =>
    resource("gcp:sql/databaseInstance:DatabaseInstance", "sql", {
        databaseVersion: "POSTGRES_16",
        deletionProtection: true,
        settings: {
            tier: "db-custom-2-7680",
            availabilityType: "REGIONAL",
            backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
            ipConfiguration: {
                ipv4Enabled: false,
                privateNetwork: "projects/p/global/networks/vpc",
                sslMode: "ENCRYPTED_ONLY",
            },
            ...settings,
        },
        ...props,
    });
