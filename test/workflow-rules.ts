/**
 * What is known about the actions beyond their action.yml: fixed choices, booleans and inputs
 * required together, the cloud login actions, and the concurrency group of every stack change.
 */
// ---------------------------------------------------------------------------------------------
// What is known about the actions beyond their action.yml

export interface ActionRules {
    /** Inputs whose value is one of a fixed list; `source` says where the list was read. */
    choices?: Record<string, { values: string[]; source: string }>;
    /** Inputs read as booleans: `true` or `false` (the spelling every boolean parser accepts). */
    booleans?: string[];
    /** `input` is required once `when` is given. */
    requiredWith?: { input: string; when: string; source: string }[];
}

export const PULUMI_CONFIG = "pulumi/actions src/config.ts at the recorded commit (makeConfig)";

/** Per action (owner/repo): the rules its action.yml does not state as data. */
export const ACTION_RULES: Record<string, ActionRules> = {
    "pulumi/actions": {
        choices: {
            // action.yml only says 'Pulumi command to run, eg. up'; the action's source accepts these
            // (getUnionInput('command', { alternatives: [...] })). Without `command` it only installs the CLI.
            command: {
                values: ["up", "update", "refresh", "destroy", "preview", "output"],
                source: PULUMI_CONFIG,
            },
            color: {
                values: ["always", "never", "raw", "auto"],
                source: `action.yml's description and ${PULUMI_CONFIG}`,
            },
        },
        booleans: [
            "comment-on-pr",
            "comment-on-summary",
            "upsert",
            "remove",
            "edit-pr-comment",
            "always-include-summary",
            "expect-no-changes",
            "diff",
            "refresh",
            "exclude-dependents",
            "target-dependents",
            "exclude-protected",
            "suppress-outputs",
            "suppress-progress",
            "continue-on-error",
            "log-flow",
            "debug",
        ],
        // getInput('stack-name', { required: true }) once a command runs.
        requiredWith: [{ input: "stack-name", when: "command", source: PULUMI_CONFIG }],
    },
    "aws-actions/configure-aws-credentials": {},
    "google-github-actions/auth": {
        choices: {
            token_format: {
                values: ["", "access_token", "id_token"],
                source: "action.yml's description of token_format",
            },
        },
        booleans: [
            "create_credentials_file",
            "export_environment_variables",
            "cleanup_credentials",
            "id_token_include_email",
        ],
        requiredWith: [
            {
                input: "service_account",
                when: "workload_identity_provider",
                source: "action.yml's description of service_account",
            },
        ],
    },
    "actions/setup-node": {
        choices: { cache: { values: ["npm", "yarn", "pnpm"], source: "action.yml's description of cache" } },
    },
    "actions/upload-artifact": {
        choices: {
            "if-no-files-found": {
                values: ["warn", "error", "ignore"],
                source: "action.yml's description of if-no-files-found",
            },
        },
    },
    "actions/download-artifact": {
        choices: {
            "digest-mismatch": {
                values: ["ignore", "info", "warn", "error"],
                source: "action.yml's description of digest-mismatch",
            },
        },
    },
};

/** The actions that turn a GitHub OIDC token into cloud credentials. */
export const CLOUD_AUTH_ACTIONS = ["aws-actions/configure-aws-credentials", "google-github-actions/auth"];

/** Inputs that carry long-lived cloud credentials. */
export const LONG_LIVED_INPUTS: Record<string, string[]> = {
    "aws-actions/configure-aws-credentials": [
        "aws-access-key-id",
        "aws-secret-access-key",
        "aws-session-token",
    ],
    "google-github-actions/auth": ["credentials_json"],
};

/** Secret and variable names that hold long-lived cloud keys (an access key pair, a service-account JSON key). */
export const LONG_LIVED_NAME =
    /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS|GCP_CREDENTIALS|GCLOUD_SERVICE_KEY)$|(SA_KEY|SERVICE_ACCOUNT_KEY|SERVICE_ACCOUNT_JSON|CREDENTIALS_JSON|KEY_JSON)$/i;

/** The one concurrency group of every change to a stack, whichever workflow makes it. */
export const upGroup = (stack: string) => `pulumi-up-${stack}`;

/** pulumi/actions commands that change a stack. */
export const CHANGING_COMMANDS = ["up", "update", "destroy", "refresh"];
