/**
 * The stack config: one zod schema for everything a stack file may say, parsed once, with every
 * problem reported at once. Each problem names the config key (with the project prefix) and the
 * stack file, so `pulumi up` fails before a single resource is registered.
 *
 * Pulumi hands a program its config as a flat map of `namespace:key` to string (objects and
 * lists arrive JSON-encoded); `parseStackConfig` takes exactly that map, so the same function
 * serves `pulumi up`, the offline plan and the tests.
 *
 * This is the one entry point; each section's schema and rules live beside it:
 *   common.ts        project, architectures, targets, strict objects with "did you mean"
 *   services.ts      services[]: image, health, probes, Cloud Run settings, smoke checks, env
 *   database.ts      database, and its defaults per environment
 *   secrets.ts       secrets
 *   alarms.ts        alarms
 *   notifications.ts notifications, and their cross-field rules
 *   aws.ts           aws, blueGreen, network
 *   gcp.ts           gcp, and Cloud Run's and Cloud SQL's rules
 *   vm.ts            vm
 *   vm-provision.ts  vm.provision.oci, and its rules against the rest of the stack
 *   sizes.ts         sizes per environment; what Fargate and Cloud Run accept
 *   schema.ts        the whole schema, the parsed and normalized types, the key paths
 *   errors.ts        ConfigError: every problem named by key and stack file
 *   normalize.ts     one service with its defaults resolved and its target's rules checked
 *   cross-field.ts   the rules between sections
 *   parse.ts         parseStackConfig
 */
export {
    ARCHITECTURES,
    type Architecture,
    editDistance,
    PROJECT,
    platformOf,
    suggestKey,
    TARGETS,
    type Target,
} from "./common";
export { type DatabaseConfig, databaseDefaults } from "./database";
export { ConfigError, type ConfigProblem } from "./errors";
export {
    CLOUD_RUN_RESERVED_ENV,
    CLOUD_RUN_SERVICE_TAG_MAX,
    CLOUD_RUN_TAG_LENGTH,
    cloudRunEnvProblems,
    cloudRunProblems,
    cloudRunTagLengthProblem,
    gcpDatabaseProblems,
} from "./gcp";
export { type Destination, NOTIFY_EVENTS, type NotifyEvent, notificationProblems } from "./notifications";
export { contextDeclarationOf, type ParseInput, parseStackConfig } from "./parse";
export {
    type CloudRunConfig,
    type NormalizedService,
    type RawStackConfig,
    type StackConfig,
    schemaKeyPaths,
    stackConfigShape,
} from "./schema";
export type { SecretDecl } from "./secrets";
export { DIGEST_REF, REVISION, type ServiceConfig } from "./services";
export {
    cloudRunSizeProblem,
    defaultArchitecture,
    defaultSizing,
    fargateMemoryOptions,
    fargateSizeProblem,
    type Sizing,
} from "./sizes";
export { PROVISIONED_HOST } from "./vm";
export {
    type OciProvisionConfig,
    ociProvisionProblems,
    ociProvisionSchema,
    shapeArchitecture,
} from "./vm-provision";
