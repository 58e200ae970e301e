/** What the offline engine records of a run, and how it is asked to run. */

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent, if any. */
    parent?: string;
    /** Inputs as the provider receives them; secrets are wrapped (see `isSecretValue`). */
    inputs: Record<string, unknown>;
    /** Outputs the (mock) provider returned: what a stack policy sees. */
    state: Record<string, unknown>;
    /** URNs each input property depends on, as far as the program's Outputs tell. */
    /** True once the registration (or read) reached the engine; a failure can hold it back. */
    registered?: boolean;
    propertyDependencies: Record<string, string[]>;
    /** URNs this resource depends on: explicit dependsOn plus every property dependency. */
    dependencies: string[];
    /** The resource options that matter to a reviewer. */
    options: {
        ignoreChanges?: string[];
        protect?: boolean;
        dependsOn?: string[];
        deleteBeforeReplace?: boolean;
        additionalSecretOutputs?: string[];
        customTimeouts?: { create?: string; update?: string; delete?: string };
    };
}

export interface Manifest {
    os: string;
    architecture: string;
}

export interface OfflineOptions {
    stack: string;
    /** A config file in the stack-file format. @default Pulumi.<stack>.yaml in the project */
    configFile?: string;
    /** Platforms a registry reference resolves to. @default linux/amd64 + linux/arm64 for every ref */
    registry?: (ref: string) => Manifest[];
    /**
     * An image config's labels by full reference, as the --registry file gives them; undefined
     * when unknown (the label then cannot be read offline). @default every label unknown
     */
    labels?: (ref: string) => Record<string, string> | undefined;
    /**
     * ACM's answer for a certificate the program reads (`aws.acm.Certificate.get`): its status,
     * or undefined when ACM does not know it. @default every certificate ISSUED
     */
    certificates?: (arn: string) => { status: string } | undefined;
    /** The program to run. @default index.ts of the project */
    program?: string;
    /** Extra config entries (full keys) laid over the file, for tests. @default {} */
    overrides?: Record<string, unknown>;
    /**
     * The stack's outputs from its last update (`pulumi stack output --json --show-secrets` or
     * without secrets), which a StackReference to the stack itself reads. @default {} (a first deploy)
     */
    lastOutputs?: Record<string, unknown>;
}

export interface OfflineResult {
    stack: string;
    project: string;
    file: string;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    notes: string[];
    /** Every secret value the run knows (config, placeholders, mock-generated), for leak scans. */
    secretValues: string[];
    /** The program's error, e.g. a ConfigError; no resources are registered then. */
    error?: Error;
}
