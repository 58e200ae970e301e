import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { envContractComplete, noPlaintextSecrets } from "../../policies/env";
import { nearMiss, credentialLike, vmWorkloads } from "../../policies/lib";
import { messages } from "./harness";
import {
    CONFIG,
    cloudRun,
    cloudRunContainer,
    ecsContainer,
    taskDefinition,
    vmDeploy,
    vmCreate,
    VM_CREATE,
} from "../../scripts/policy-fixtures";

const withoutSecrets = (names: string[]) =>
    ecsContainer().secrets.filter((s: { name: string }) => !names.includes(s.name));
const withoutEnv = (names: string[]) =>
    ecsContainer().environment.filter((e: { name: string }) => !names.includes(e.name));

test("env-contract-complete: every contract variable set passes on ECS, Cloud Run and the VM", async () => {
    assert.deepEqual(await messages(envContractComplete(), [taskDefinition(), cloudRun(), vmDeploy()]), []);
});

test("env-contract-complete: DATABASE_URL missing while its parts are set names both (SD-006, ECS)", async () => {
    const td = taskDefinition({
        environment: [
            ...ecsContainer().environment,
            { name: "DATABASE_HOST", value: "db.internal" },
            { name: "DATABASE_NAME", value: "app" },
            { name: "DATABASE_USER", value: "app" },
        ],
        secrets: [
            ...withoutSecrets(["DATABASE_URL"]),
            { name: "DATABASE_PASSWORD", valueFrom: "arn:x:DATABASE_PASSWORD::" },
        ],
    });
    assert.deepEqual(await messages(envContractComplete(), [td]), [
        cite(
            "SD-006",
            'ECS task definition "aws-api-task": service "api" reads DATABASE_URL, which this target does not set; DATABASE_HOST/DATABASE_NAME/DATABASE_USER/DATABASE_PASSWORD are set instead: the app reads the full URL DATABASE_URL, not its parts.',
        ),
    ]);
});

test("env-contract-complete: the same failure on Cloud Run (SD-006)", async () => {
    const c = cloudRunContainer();
    const run = cloudRun({
        envs: [
            ...c.envs.filter((e: any) => e.name !== "DATABASE_URL"),
            { name: "DATABASE_HOST", value: "10.0.0.3" },
            { name: "DATABASE_NAME", value: "app" },
            { name: "DATABASE_USER", value: "app" },
            { name: "DATABASE_PASSWORD", valueSource: { secretKeyRef: { secret: "pw", version: "1" } } },
        ],
    });
    assert.deepEqual(await messages(envContractComplete(), [run]), [
        cite(
            "SD-006",
            'Cloud Run service "gcp-api-service": service "api" reads DATABASE_URL, which this target does not set; DATABASE_HOST/DATABASE_NAME/DATABASE_USER/DATABASE_PASSWORD are set instead: the app reads the full URL DATABASE_URL, not its parts.',
        ),
    ]);
});

test("env-contract-complete: parts read while only the URL is set is the mirror failure", async () => {
    const config = {
        "env-contract-complete": {
            contracts: { api: { env: { DATABASE_HOST: "plain", DATABASE_URL: "secret" } } },
        },
    };
    const td = taskDefinition({
        environment: [],
        secrets: [{ name: "DATABASE_URL", valueFrom: "arn:x:DATABASE_URL::" }],
    });
    assert.deepEqual(await messages(envContractComplete(), [td], config), [
        cite(
            "SD-006",
            'ECS task definition "aws-api-task": service "api" reads DATABASE_HOST, which this target does not set; DATABASE_URL is set instead: the app reads the part DATABASE_HOST, not the URL.',
        ),
    ]);
});

test("env-contract-complete: a variable set under another name is named (DB_URL for DATABASE_URL)", async () => {
    const td = taskDefinition({
        secrets: [...withoutSecrets(["DATABASE_URL"]), { name: "DB_URL", valueFrom: "arn:x:DB_URL::" }],
    });
    assert.deepEqual(await messages(envContractComplete(), [td]), [
        cite(
            "SD-006",
            'ECS task definition "aws-api-task": service "api" reads DATABASE_URL, which this target does not set; DB_URL is set; did you mean DATABASE_URL?',
        ),
    ]);
});

test("env-contract-complete: a missing variable with no near miss, and an empty value", async () => {
    const td = taskDefinition({
        environment: [...withoutEnv(["PORT", "LOG_LEVEL"]), { name: "LOG_LEVEL", value: "" }],
    });
    assert.deepEqual(await messages(envContractComplete(), [td]), [
        cite(
            "SD-006",
            'ECS task definition "aws-api-task": service "api" reads LOG_LEVEL, which is set to an empty value.',
        ),
        cite(
            "SD-006",
            'ECS task definition "aws-api-task": service "api" reads PORT, which this target does not set.',
        ),
    ]);
});

test("env-contract-complete: the VM deploy must list every variable", async () => {
    const vm = vmDeploy({ create: vmCreate(" --env-secret=STRIPE_API_KEY", "") });
    assert.deepEqual(await messages(envContractComplete(), [vm]), [
        cite(
            "SD-006",
            'VM deploy "vm-api-oci-arm-1-deploy": service "api" reads STRIPE_API_KEY, which this target does not set.',
        ),
    ]);
});

test("env-contract-complete: without contracts in the policy config it does not apply", async () => {
    assert.deepEqual(await messages(envContractComplete(), [taskDefinition({ environment: [] })], {}), []);
});

test("no-plaintext-secrets: secrets by reference pass", async () => {
    assert.deepEqual(await messages(noPlaintextSecrets(), [taskDefinition(), cloudRun(), vmDeploy()]), []);
});

test("no-plaintext-secrets: a contract secret in plain ECS environment is refused (SD-007)", async () => {
    const td = taskDefinition({
        environment: [
            ...ecsContainer().environment,
            { name: "DATABASE_URL", value: "postgresql://app:hunter2@db:5432/app" },
        ],
        secrets: [{ name: "STRIPE_API_KEY", valueFrom: "arn:x:STRIPE_API_KEY::" }],
    });
    assert.deepEqual(await messages(noPlaintextSecrets(), [td]), [
        cite(
            "SD-007",
            'ECS task definition "aws-api-task": DATABASE_URL is a secret in the contract of "api" but is set in plain environment; deliver it through secrets[].valueFrom (Secrets Manager).',
        ),
    ]);
});

test("no-plaintext-secrets: values that look like credentials are refused even when the contract says plain", async () => {
    const td = taskDefinition({
        environment: [
            ...ecsContainer().environment,
            { name: "CACHE_URL", value: "redis://default:s3cr3t@cache:6379/0" },
            {
                name: "SIGNING_KEY",
                value: "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
            },
            { name: "GITHUB_TOKEN", value: "ghp_abc" },
        ],
    });
    assert.deepEqual(await messages(noPlaintextSecrets(), [td]), [
        cite(
            "SD-007",
            'ECS task definition "aws-api-task": plain env CACHE_URL of "api" looks like a credential (a URL with user:password@); deliver it through secrets[].valueFrom (Secrets Manager).',
        ),
        cite(
            "SD-007",
            'ECS task definition "aws-api-task": plain env GITHUB_TOKEN of "api" looks like a credential (a name ending in _TOKEN); deliver it through secrets[].valueFrom (Secrets Manager).',
        ),
        cite(
            "SD-007",
            'ECS task definition "aws-api-task": plain env SIGNING_KEY of "api" looks like a credential (a private key); deliver it through secrets[].valueFrom (Secrets Manager).',
        ),
    ]);
});

test("no-plaintext-secrets: Cloud Run envs[].value holding a password is refused", async () => {
    const run = cloudRun({ envs: [...cloudRunContainer().envs, { name: "DB_PASSWORD", value: "hunter2" }] });
    assert.deepEqual(await messages(noPlaintextSecrets(), [run]), [
        cite(
            "SD-007",
            'Cloud Run service "gcp-api-service": plain env DB_PASSWORD of "api" looks like a credential (a name ending in _PASSWORD); deliver it through envs[].valueSource.secretKeyRef (Secret Manager).',
        ),
    ]);
});

test("no-plaintext-secrets: the VM deploy must not pass a secret as plain env or a credential on the command line", async () => {
    const vm = vmDeploy({
        create: `${vmCreate("--env-secret=DATABASE_URL", "--env-plain=DATABASE_URL")} DATABASE_URL=postgresql://app:hunter2@db/app`,
    });
    assert.deepEqual(await messages(noPlaintextSecrets(), [vm]), [
        cite(
            "SD-007",
            'VM deploy "vm-api-oci-arm-1-deploy": DATABASE_URL is a secret in the contract of "api" but is passed as plain env; list it with --env-secret so it travels only in the 0600 env file.',
        ),
        cite(
            "SD-008",
            'remote.Command "vm-api-oci-arm-1-deploy": DATABASE_URL on the command line looks like a credential (a URL with user:password@); put it in a 0600 env file copied with remote.CopyToRemote.',
        ),
        cite(
            "SD-008",
            'remote.Command "vm-api-oci-arm-1-deploy": the command line holds a URL with user:password@ (postgresql://app:***@db/app); pass it through the env file.',
        ),
    ]);
});

test("no-plaintext-secrets: a remote command that handles secrets must not log them, in output or state", async () => {
    const loud = vmDeploy({ logging: undefined }, {});
    assert.deepEqual(await messages(noPlaintextSecrets(), [loud]), [
        cite(
            "SD-008",
            'remote.Command "vm-api-oci-arm-1-deploy" handles secrets but logs its output (logging: stdoutAndStderr); set logging: "stderr" or "none".',
        ),
        cite(
            "SD-008",
            'remote.Command "vm-api-oci-arm-1-deploy" handles secrets but keeps stdout and stderr in plain state; add additionalSecretOutputs: ["stdout", "stderr"].',
        ),
    ]);
    const stdin = vmDeploy(
        { create: "docker login --password-stdin registry", stdin: "token", logging: "stdout" },
        { additionalSecretOutputs: ["stdout"] },
    );
    assert.deepEqual(await messages(noPlaintextSecrets(), [stdin]), [
        cite(
            "SD-008",
            'remote.Command "vm-api-oci-arm-1-deploy" handles secrets but logs its output (logging: stdout); set logging: "stderr" or "none".',
        ),
        cite(
            "SD-008",
            'remote.Command "vm-api-oci-arm-1-deploy" handles secrets but keeps stderr in plain state; add additionalSecretOutputs: ["stdout", "stderr"].',
        ),
    ]);
});

test("near misses and credential shapes", () => {
    const table: [string, string[], string | undefined][] = [
        [
            "DATABASE_URL",
            ["DATABASE_HOST", "DATABASE_PORT"],
            "DATABASE_HOST/DATABASE_PORT are set instead: the app reads the full URL DATABASE_URL, not its parts",
        ],
        [
            "REDIS_URL",
            ["REDIS_HOST"],
            "REDIS_HOST is set instead: the app reads the full URL REDIS_URL, not its parts",
        ],
        [
            "DATABASE_PASSWORD",
            ["DATABASE_URL"],
            "DATABASE_URL is set instead: the app reads the part DATABASE_PASSWORD, not the URL",
        ],
        ["STRIPE_API_KEY", ["STRIPE_APIKEY"], "STRIPE_APIKEY is set; did you mean STRIPE_API_KEY?"],
        ["SENTRY_DSN", ["LOG_LEVEL"], undefined],
        ["DATABASE_URL", ["DB_URL"], "DB_URL is set; did you mean DATABASE_URL?"],
        ["PG_PASSWORD", ["POSTGRES_PASSWORD"], "POSTGRES_PASSWORD is set; did you mean PG_PASSWORD?"],
    ];
    for (const [missing, present, want] of table) assert.equal(nearMiss(missing, present), want, missing);
    assert.equal(credentialLike("LOG_LEVEL", "info"), undefined);
    assert.equal(credentialLike("HOMEPAGE", "https://example.com/a@b"), undefined);
    assert.equal(credentialLike("API_KEY", ""), undefined);
    assert.equal(credentialLike("AMQP", "amqps://u:p@mq/vh"), "a URL with user:password@");
    assert.ok(CONFIG);
});

test("the pack recognizes the VM deploy call as the program writes it, and hand-written forms", () => {
    const table: [string, boolean][] = [
        [VM_CREATE, true],
        ["sh '/opt/service-deploy/api/service-deploy.sh' deploy --service='api'", true],
        ['sh "/opt/service-deploy/api/service-deploy.sh" deploy --service=api', true],
        ["sh /opt/service-deploy/service-deploy.sh deploy --service=api", true],
        ["/opt/service-deploy/service-deploy.sh deploy", true],
        ["sh '/opt/service-deploy/api/service-deploy.sh' remove --service='api'", false],
        ["sh '/opt/service-deploy/api/service-deploy.sh' deployed", false],
    ];
    for (const [create, deploys] of table)
        assert.equal(vmWorkloads({ create }).length === 1, deploys, create);
});

/** The production stacks' config with the app's declaration given to env-contract-complete. */
const withReads = (reads: Record<string, { secret?: boolean; optional?: boolean }>) => {
    const c = structuredClone(CONFIG) as Record<string, any>;
    for (const policy of Object.values(c)) if (policy?.contracts) policy.contracts.api.reads = reads;
    return c;
};

test("env-contract-complete holds each target to the app's declaration, not to the stack's own env map", async () => {
    const reads = { DATABASE_URL: { secret: true }, REDIS_URL: {}, PORT: {}, K_SERVICE: {} };
    assert.deepEqual(
        await messages(envContractComplete(), [taskDefinition(), cloudRun(), vmDeploy()], withReads(reads)),
        [
            'ECS task definition "aws-api-task": service "api" reads K_SERVICE (the app\'s env declaration), which this target does not set.',
            'ECS task definition "aws-api-task": service "api" reads REDIS_URL (the app\'s env declaration), which this target does not set.',
            // Cloud Run sets PORT and K_SERVICE itself.
            'Cloud Run service "gcp-api-service": service "api" reads REDIS_URL (the app\'s env declaration), which this target does not set.',
            'VM deploy "vm-api-oci-arm-1-deploy": service "api" reads K_SERVICE (the app\'s env declaration), which this target does not set.',
            'VM deploy "vm-api-oci-arm-1-deploy": service "api" reads REDIS_URL (the app\'s env declaration), which this target does not set.',
        ],
    );
});

test("env-contract-complete with the declaration: the URL read while the parts are set names the parts, on every target", async () => {
    const reads = { DATABASE_URL: { secret: true } };
    const parts = ["DATABASE_HOST", "DATABASE_NAME", "DATABASE_USER", "DATABASE_PASSWORD"];
    const td = taskDefinition({
        environment: [...ecsContainer().environment, ...parts.map((name) => ({ name, value: "x" }))],
        secrets: withoutSecrets(["DATABASE_URL"]),
    });
    const c = cloudRunContainer();
    const run = cloudRun({
        envs: [
            ...c.envs.filter((e: any) => e.name !== "DATABASE_URL"),
            ...parts.map((name) => ({ name, value: "x" })),
        ],
    });
    const vm = vmDeploy({
        create: vmCreate(" --env-secret=DATABASE_URL", parts.map((p) => ` --env-plain=${p}`).join("")),
    });
    const hint =
        "which this target does not set; DATABASE_HOST/DATABASE_NAME/DATABASE_USER/DATABASE_PASSWORD are set instead: the app reads the full URL DATABASE_URL, not its parts.";
    assert.deepEqual(await messages(envContractComplete(), [td, run, vm], withReads(reads)), [
        `ECS task definition "aws-api-task": service "api" reads DATABASE_URL (the app's env declaration), ${hint}`,
        `Cloud Run service "gcp-api-service": service "api" reads DATABASE_URL (the app's env declaration), ${hint}`,
        `VM deploy "vm-api-oci-arm-1-deploy": service "api" reads DATABASE_URL (the app's env declaration), ${hint}`,
    ]);
});

test("no-plaintext-secrets: a variable the app declares secret is refused in plain env even if the stack called it plain", async () => {
    const td = taskDefinition({
        environment: [...ecsContainer().environment, { name: "SIGNING_SALT", value: "abc" }],
    });
    assert.deepEqual(
        await messages(noPlaintextSecrets(), [td], withReads({ SIGNING_SALT: { secret: true } })),
        [
            cite(
                "SD-007",
                'ECS task definition "aws-api-task": SIGNING_SALT is a secret in the contract of "api" but is set in plain environment; deliver it through secrets[].valueFrom (Secrets Manager).',
            ),
        ],
    );
});
