/**
 * The offline engine: runs index.ts under `pulumi.runtime.setMocks` with a stack's real config
 * file and records every resource as the provider would receive it. `npm run plan` and the tests
 * both use it. No Pulumi CLI, plugin or cloud is involved.
 *
 * - `secure:` values cannot be decrypted without the stack's key: they become opaque placeholder
 *   secrets, and the plan says so.
 * - Declared `source: config` secrets missing from the file get a placeholder secret too (a real
 *   `pulumi up` stops on them with the `pulumi config set --secret` command to run).
 * - Invokes get offline answers; each answer that stands in for something only the cloud knows
 *   (a registry's manifest list, an ECR token) is listed in `notes` as not verified offline.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { awsPlaceholders, describePlaceholder } from "../components/aws/placeholders";
import { setImageConfigReader } from "../components/registry";

const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export const ROOT = path.resolve(__dirname, "..");
export const ACCOUNT = "123456789012";

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
    /** True once the registration (or read) reached the engine; a failure can hold it back. */
    registered?: boolean;
    /** URNs each input property depends on, as far as the program's Outputs tell. */
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

export function isSecretValue(v: unknown): v is { value: unknown } {
    return (
        typeof v === "object" &&
        v !== null &&
        (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig
    );
}

/** Inputs with every secret replaced by "[secret]": what the plan prints. */
export function redact(v: unknown): unknown {
    if (isSecretValue(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(redact);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
    return v;
}

/** Inputs with secret wrappers removed: what the provider gets after decryption. */
export function unwrap(v: unknown): unknown {
    if (isSecretValue(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

/** Read a stack file into Pulumi's flat config map (objects JSON-encoded) and its secret keys. */
export function readStackFile(
    file: string,
    notes: string[],
    secretValues: string[],
): { config: Record<string, string>; secretKeys: string[] } {
    if (!fs.existsSync(file)) throw new Error(`config file ${file} does not exist`);
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    if (typeof doc !== "object" || (doc.config !== undefined && typeof doc.config !== "object"))
        throw new Error(`${file}: expected a top-level "config:" mapping`);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
        let hasSecure = false;
        const replaced = replaceSecure(value, key, () => {
            hasSecure = true;
        });
        if (hasSecure) {
            secretKeys.push(key);
            notes.push(
                `${key}: a secure value cannot be decrypted offline; an opaque placeholder secret stands in`,
            );
        }
        if (typeof replaced === "string") {
            config[key] = replaced;
            if (hasSecure) secretValues.push(replaced);
        } else {
            config[key] = JSON.stringify(replaced);
        }
    }
    return { config, secretKeys };
}

function replaceSecure(v: unknown, key: string, found: () => void): unknown {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) {
        found();
        return `offline-placeholder-for-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
    }
    if (Array.isArray(v)) return v.map((x) => replaceSecure(x, key, found));
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecure(x, key, found)]));
    return v;
}

/** Computed outputs a provider would return, so the program's applies have values. */
function mockState(
    type: string,
    name: string,
    inputs: Record<string, any>,
    region: string,
    gcp: { project: string; region: string },
): Record<string, unknown> {
    const id = `${name}-id`;
    const arnOf = (service: string, resource: string) =>
        `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;
    const s: Record<string, unknown> = { ...inputs };
    switch (type) {
        case "aws:lb/loadBalancer:LoadBalancer":
            Object.assign(s, {
                arn: arnOf("elasticloadbalancing", `loadbalancer/app/${name}/0123456789abcdef`),
                arnSuffix: `app/${name}/0123456789abcdef`,
                dnsName: `${name}-123456.${region}.elb.amazonaws.com`,
            });
            break;
        case "aws:lb/targetGroup:TargetGroup":
            Object.assign(s, {
                arn: arnOf("elasticloadbalancing", `targetgroup/${name}/0123456789abcdef`),
                arnSuffix: `targetgroup/${name}/0123456789abcdef`,
            });
            break;
        case "aws:rds/instance:Instance":
            Object.assign(s, {
                identifier: name,
                address: `${name}.abcdefghijkl.${region}.rds.amazonaws.com`,
                endpoint: `${name}.abcdefghijkl.${region}.rds.amazonaws.com:5432`,
                arn: arnOf("rds", `db:${name}`),
            });
            break;
        case "aws:ecr/repository:Repository":
            Object.assign(s, {
                registryId: ACCOUNT,
                repositoryUrl: `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${inputs.name ?? name}`,
                arn: arnOf("ecr", `repository/${inputs.name ?? name}`),
            });
            break;
        case "docker-build:index:Image": {
            const digest = `sha256:${Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64)}`;
            Object.assign(s, { digest, ref: `${(inputs.tags?.[0] ?? name).split(":")[0]}@${digest}` });
            break;
        }
        case "random:index/randomPassword:RandomPassword":
            Object.assign(s, { result: `offline-random-${name}`.padEnd(inputs.length ?? 16, "x") });
            break;
        case "aws:secretsmanager/secretVersion:SecretVersion": {
            // A new value is a new version: the id follows the content, as a real PutSecretValue's would.
            const h = require("node:crypto")
                .createHash("sha256")
                .update(JSON.stringify(inputs.secretString ?? ""))
                .digest("hex");
            Object.assign(s, {
                versionId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
                arn: inputs.secretId,
            });
            break;
        }
        case "aws:ec2/eip:Eip": {
            const n = [...name].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 250, 7);
            Object.assign(s, { publicIp: `198.51.100.${n + 1}`, arn: arnOf("ec2", `elastic-ip/${name}`) });
            break;
        }
        case "random:index/randomId:RandomId": {
            const hex = Buffer.from(name)
                .toString("hex")
                .padEnd(64, "0")
                .slice(-(inputs.byteLength ?? 8) * 2);
            Object.assign(s, { hex, b64Url: Buffer.from(hex, "hex").toString("base64url") });
            break;
        }
        case "aws:secretsmanager/secret:Secret":
            Object.assign(s, { arn: arnOf("secretsmanager", `secret:${name}-AbCdEf`) });
            break;
        case "aws:ecs/cluster:Cluster":
            Object.assign(s, {
                name: inputs.name ?? `${name}-1234567`,
                arn: arnOf("ecs", `cluster/${name}-1234567`),
            });
            break;
        case "gcp:cloudrunv2/service:Service": {
            const host = `${inputs.name ?? name}-abc123xyz-de.a.run.app`;
            Object.assign(s, {
                uri: `https://${host}`,
                trafficStatuses: (inputs.traffics ?? []).map((t: any) => ({
                    ...t,
                    uri: t.tag ? `https://${t.tag}---${host}` : "",
                })),
                latestReadyRevision: inputs.template?.revision,
                terminalConditions: [{ type: "Ready", state: "CONDITION_SUCCEEDED" }],
            });
            break;
        }
        case "gcp:sql/databaseInstance:DatabaseInstance": {
            const instance = inputs.name ?? `${name}-1234567`;
            Object.assign(s, {
                name: instance,
                connectionName: `${gcp.project}:${gcp.region}:${instance}`,
                privateIpAddress: "10.20.0.3",
                selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${gcp.project}/instances/${instance}`,
            });
            break;
        }
        case "gcp:serviceaccount/account:Account":
            Object.assign(s, {
                email: `${inputs.accountId}@${gcp.project}.iam.gserviceaccount.com`,
                name: `projects/${gcp.project}/serviceAccounts/${inputs.accountId}@${gcp.project}.iam.gserviceaccount.com`,
            });
            break;
        case "gcp:secretmanager/secret:Secret":
            Object.assign(s, { name: `projects/${gcp.project}/secrets/${inputs.secretId}` });
            break;
        case "gcp:secretmanager/secretVersion:SecretVersion":
            Object.assign(s, { version: "1", name: `${inputs.secret}/versions/1` });
            break;
        case "command:remote:Command": {
            // What deploy.sh prints last, so outputs that parse it have a value.
            const create = String(inputs.create ?? "");
            const svc = /--service='([^']+)'/.exec(create)?.[1];
            const digest = /--image='[^'@]+@(sha256:[0-9a-f]{64})'/.exec(create)?.[1];
            Object.assign(s, {
                stdout:
                    svc && digest && create.includes("' deploy ")
                        ? `ACTIVE service=${svc} color=blue digest=${digest} changed=true`
                        : "",
                stderr: "",
            });
            break;
        }
        case "gcp:monitoring/notificationChannel:NotificationChannel":
            Object.assign(s, {
                name: `projects/${gcp.project}/notificationChannels/${Buffer.from(name).toString("hex").slice(0, 16)}`,
            });
            break;
        case "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            Object.assign(s, {
                uptimeCheckId: `${name}-check`,
                name: `projects/${gcp.project}/uptimeCheckConfigs/${name}-check`,
            });
            break;
        case "tls:index/privateKey:PrivateKey":
            Object.assign(s, offlineSshKey(name));
            break;
        case "oci:Core/instance:Instance":
            Object.assign(s, {
                publicIp: "203.0.113.10",
                privateIp: "10.0.0.2",
                state: "RUNNING",
                image: inputs.sourceDetails?.sourceId,
            });
            break;
        default:
            if (type.startsWith("aws:")) {
                const [, mod, res] = /^aws:([^/]+)\/([^:]+):/.exec(type) ?? [];
                // IAM is global: its ARNs carry no region (arn:aws:iam::<account>:role/<name>).
                s.arn =
                    mod === "iam"
                        ? `arn:aws:iam::${ACCOUNT}:${res ?? "r"}/${name}`
                        : arnOf(mod ?? "x", `${res ?? "r"}/${name}`);
            }
    }
    if ((type.startsWith("aws:") || type.startsWith("gcp:")) && s.name === undefined)
        s.name = `${name}-1234567`;
    s.id = type.startsWith("oci:") ? ociOcid(type, name) : id;
    return s;
}

/** An OCID-shaped id for an OCI resource: `ocid1.<kind>.oc1.ap-tokyo-1.<hex of the name>`. */
function ociOcid(type: string, name: string): string {
    const kind = (/^oci:[^/]+\/([^:]+):/.exec(type)?.[1] ?? "resource").toLowerCase();
    return `ocid1.${kind}.oc1.ap-tokyo-1.${Buffer.from(name).toString("hex").slice(0, 40)}`;
}

/**
 * A @pulumi/tls ed25519 key as the provider returns it: a real public key line (derived from
 * the resource name, so plans are stable) and a placeholder private key that is listed as a
 * secret value, so a leak of it into a plain output is caught like any other secret.
 */
function offlineSshKey(name: string): Record<string, string> {
    const keyMaterial = crypto.createHash("sha256").update(name).digest();
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), keyMaterial]);
    const key = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const raw = Buffer.from(crypto.createPublicKey(key).export({ format: "jwk" }).x!, "base64url");
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]).toString("base64");
    return {
        algorithm: "ED25519",
        publicKeyOpenssh: `ssh-ed25519 ${blob}\n`,
        privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\noffline-host-key-${name}\n-----END OPENSSH PRIVATE KEY-----\n`,
        privateKeyPem: `offline-host-key-pem-${name}`,
        privateKeyPemPkcs8: `offline-host-key-pkcs8-${name}`,
    };
}

let running = false;

/** Run the program once under mocks. One run per process: the Pulumi runtime is process-global. */
export async function runOffline(opts: OfflineOptions): Promise<OfflineResult> {
    if (running) throw new Error("runOffline: one run per process");
    running = true;
    const notes: string[] = [];
    const secretValues: string[] = [];
    const project = (YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string })
        .name;
    const file = opts.configFile ?? path.join(ROOT, `Pulumi.${opts.stack}.yaml`);
    const { config, secretKeys } = readStackFile(file, notes, secretValues);
    process.env.SERVICE_DEPLOY_STACK_FILE = path.relative(process.cwd(), file) || file;
    const placeholderNotes: string[] = [];
    // Placeholders (AWS's example account, documentation networks) pass under mocks; list them.
    const decoded = (k: string) => {
        try {
            return JSON.parse(config[`${project}:${k}`] ?? "null") ?? undefined;
        } catch {
            return undefined;
        }
    };
    const usesAws = (decoded("services") ?? []).some?.((x: { target?: string }) => x?.target === "aws");
    for (const p of !usesAws
        ? []
        : awsPlaceholders({
              aws: decoded("aws"),
              blueGreen: decoded("blueGreen"),
              alarms: decoded("alarms"),
              services: decoded("services"),
          }))
        placeholderNotes.push(`${describePlaceholder(p)}; not verified offline`);
    for (const [k, v] of Object.entries(opts.overrides ?? {}))
        config[k] = typeof v === "string" ? v : JSON.stringify(v);
    fillMissingConfigSecrets(project, config, secretKeys, notes, secretValues);
    const region = config["aws:region"] ?? "ap-northeast-1";
    const gcpLocation = {
        project: config["gcp:project"] ?? "offline-project",
        region: config["gcp:region"] ?? "asia-east1",
    };

    const resources: RecordedResource[] = [];
    const byKey = new Map<string, RecordedResource>();
    const urnOf = new WeakMap<object, string>();
    const registry = opts.registry;

    await pulumi.runtime.setMocks(
        {
            async newResource(args) {
                const rec = byKey.get(`${args.type}::${args.name}`);
                // Assets arrive with their text or path as a Promise: settle them, so the recorded
                // inputs hold what the provider would receive.
                args.inputs = (await settleAssets(args.inputs)) as Record<string, any>;
                if (rec) {
                    rec.inputs = args.inputs;
                    rec.registered = true;
                }
                if (args.type === "aws:acm/certificate:Certificate" && args.id) {
                    // A read (CertificateCheck): ACM alone knows the certificate.
                    const found = opts.certificates ? opts.certificates(args.id) : { status: "ISSUED" };
                    notes.push(
                        `ACM certificate ${args.id}: read from ACM at preview and up (must exist, be ISSUED and belong to the deploying account); assumed ${found?.status ?? "missing"}; not verified offline`,
                    );
                    // The engine's own words when a read finds nothing (pulumi/pulumi ReadStep.Apply).
                    if (!found) throw new Error(`resource '${args.id}' does not exist`);
                    const state = { ...args.inputs, arn: args.id, status: found.status };
                    if (rec) rec.state = state;
                    return { id: args.id, state };
                }
                const state: Record<string, unknown> =
                    args.type === "pulumi:pulumi:StackReference"
                        ? {
                              id: String(args.inputs.name),
                              name: args.inputs.name,
                              outputs: opts.lastOutputs ?? {},
                              secretOutputNames: [],
                          }
                        : mockState(
                              args.type,
                              args.name,
                              unwrap(args.inputs) as Record<string, any>,
                              region,
                              gcpLocation,
                          );
                if (rec) rec.state = state;
                if (args.type === "random:index/randomPassword:RandomPassword")
                    secretValues.push(state.result as string);
                if (args.type === "tls:index/privateKey:PrivateKey")
                    secretValues.push(state.privateKeyOpenssh as string);
                return { id: state.id as string, state };
            },
            call(args) {
                switch (args.token) {
                    case "aws:index/getAvailabilityZones:getAvailabilityZones":
                        return {
                            names: [`${region}a`, `${region}c`],
                            zoneIds: ["apne1-az4", "apne1-az1"],
                            id: region,
                        };
                    case "aws:index/getRegion:getRegion":
                        return { name: region, region, id: region };
                    case "gcp:organizations/getClientConfig:getClientConfig":
                        notes.push(
                            "Google credentials (an OAuth access token for Artifact Registry): taken from the provider at deploy time; not verified offline",
                        );
                        secretValues.push("offline-gcp-token");
                        return {
                            accessToken: "offline-gcp-token",
                            project: gcpLocation.project,
                            region: gcpLocation.region,
                            zone: `${gcpLocation.region}-a`,
                            id: gcpLocation.project,
                        };
                    case "gcp:organizations/getProject:getProject":
                        return {
                            projectId: config["gcp:project"] ?? "offline-project",
                            number: "123456789012",
                            id: "offline-project",
                        };
                    case "aws:index/getCallerIdentity:getCallerIdentity":
                        return {
                            accountId: ACCOUNT,
                            arn: `arn:aws:iam::${ACCOUNT}:user/offline`,
                            userId: "offline",
                            id: ACCOUNT,
                        };
                    case "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                        notes.push(
                            `ECR credentials for registry ${args.inputs.registryId}: taken from the provider at deploy time; not verified offline`,
                        );
                        secretValues.push("offline-ecr-token");
                        return {
                            authorizationToken: "b2ZmbGluZQ==",
                            expiresAt: "2099-01-01T00:00:00Z",
                            proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${region}.amazonaws.com`,
                            userName: "AWS",
                            password: "offline-ecr-token",
                            id: ACCOUNT,
                        };
                    }
                    case "docker:index/getRegistryImageManifests:getRegistryImageManifests": {
                        const ref = String(args.inputs.name);
                        const manifests = registry
                            ? registry(ref)
                            : [
                                  { os: "linux", architecture: "amd64" },
                                  { os: "linux", architecture: "arm64" },
                              ];
                        notes.push(
                            `registry manifest list of ${ref}: the registry cannot be reached offline; assumed ${manifests.map((m) => `${m.os}/${m.architecture}`).join(", ") || "none"} (a real preview checks it)`,
                        );
                        return {
                            name: ref,
                            id: ref,
                            manifests: manifests.map((m) => ({
                                ...m,
                                mediaType: "application/vnd.oci.image.manifest.v1+json",
                                sha256Digest: `sha256:${"0".repeat(64)}`,
                            })),
                        };
                    }
                    case "oci:Core/getImages:getImages": {
                        const arm = JSON.stringify(args.inputs.filters ?? []).includes("aarch64-");
                        const os = String(args.inputs.operatingSystem);
                        const v = String(args.inputs.operatingSystemVersion);
                        const displayName = `${os.replace(/ /g, "-")}-${v}-${arm ? "aarch64-" : ""}2026.11.30-0`;
                        notes.push(
                            `OCI image lookup (${os} ${v}, ${args.inputs.shape}): the newest image cannot be read offline; assumed ${displayName} (a real preview looks it up)`,
                        );
                        return {
                            compartmentId: args.inputs.compartmentId,
                            id: "images",
                            images: [
                                {
                                    id: `ocid1.image.oc1.ap-tokyo-1.${Buffer.from(displayName).toString("hex").slice(0, 40)}`,
                                    displayName,
                                    operatingSystem: os,
                                    operatingSystemVersion: v,
                                    state: "AVAILABLE",
                                },
                            ],
                        };
                    }
                    case "oci:Core/getSubnet:getSubnet":
                        return {
                            subnetId: args.inputs.subnetId,
                            id: args.inputs.subnetId,
                            vcnId: "ocid1.vcn.oc1.ap-tokyo-1.existing",
                            prohibitPublicIpOnVnic: false,
                        };
                    default:
                        throw new Error(
                            `the offline plan has no answer for invoke ${args.token}; add one to scripts/offline.ts`,
                        );
                }
            },
        },
        project,
        opts.stack,
        true,
        // The organization of `pulumi whoami`; a StackReference to the stack itself names it.
        "organization",
    );
    pulumi.runtime.setAllConfig(config, secretKeys);

    // A program error raised inside an apply (e.g. an image missing a platform) reaches the
    // runtime as a rejected output serialization, not as a throw: collect those as the run's error,
    // the way the engine fails the update on them.
    const late: Error[] = [];
    let loadError: Error | undefined;
    // A failure that holds registrations back (a rejected dependsOn) leaves the exports unsettled
    // forever: the first failure also ends the wait for them.
    let failed: (() => void) | undefined;
    const firstFailure = new Promise<void>((r) => {
        failed = r;
    });
    const onRejection = (e: unknown) => {
        late.push(e instanceof Error ? e : new Error(String(e)));
        failed?.();
    };
    process.on("unhandledRejection", onRejection);
    const settle = async () => {
        // After a failure some registrations wait forever on a rejected input (the engine would
        // abort the update): wait for the RPC queue only when nothing has failed.
        if (late.length === 0 && !loadError) await settings.waitForRPCs().catch((e: Error) => late.push(e));
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        process.off("unhandledRejection", onRejection);
    };
    // An image's labels come from the --registry file, never from a network.
    const labels = opts.labels;
    setImageConfigReader(async (ref) => labels?.(ref), { offline: true });
    const program = opts.program ? path.resolve(opts.program) : path.join(ROOT, "index.ts");
    let exported: Record<string, unknown> = {};
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                const parentUrn = args.opts.parent ? urnOf.get(args.opts.parent) : undefined;
                // Like the engine: the root stack's type is not part of its children's URNs.
                const parentType = parentUrn?.split("::")[2];
                const qualified =
                    parentType && parentType !== "pulumi:pulumi:Stack"
                        ? `${parentType}$${args.type}`
                        : args.type;
                const urn = `urn:pulumi:${opts.stack}::${project}::${qualified}::${args.name}`;
                urnOf.set(args.resource, urn);
                const dependsOn = ([] as unknown[])
                    .concat(args.opts.dependsOn ?? [])
                    .map((d) => urnOf.get(d as object))
                    .filter((u): u is string => !!u);
                const o = args.opts as pulumi.CustomResourceOptions;
                const rec: RecordedResource = {
                    urn,
                    type: args.type,
                    name: args.name,
                    parent: parentUrn,
                    inputs: {},
                    state: {},
                    propertyDependencies: {},
                    dependencies: dependsOn,
                    options: {
                        ...(o.ignoreChanges?.length ? { ignoreChanges: [...o.ignoreChanges] } : {}),
                        ...(o.protect ? { protect: true } : {}),
                        ...(dependsOn.length ? { dependsOn } : {}),
                        ...(o.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
                        ...(o.additionalSecretOutputs?.length
                            ? { additionalSecretOutputs: [...o.additionalSecretOutputs] }
                            : {}),
                        ...(o.customTimeouts ? { customTimeouts: { ...o.customTimeouts } } : {}),
                    },
                };
                resources.push(rec);
                byKey.set(`${args.type}::${args.name}`, rec);
                for (const [key, value] of Object.entries(args.props ?? {})) {
                    const urns = [...resourcesOf(value)]
                        .map((d) => urnOf.get(d))
                        .filter((u): u is string => !!u && u !== urn);
                    if (urns.length > 0) {
                        rec.propertyDependencies[key] = [...new Set(urns)];
                        rec.dependencies = [...new Set([...rec.dependencies, ...urns])];
                    }
                }
                return undefined;
            });
            // The exports are resolved below, not returned: when a stack init throws or returns an
            // output that rejects, the stack's own outputs never settle under mocks.
            try {
                exported = require(program);
            } catch (e) {
                loadError = e as Error;
            }
            return {};
        });
    } catch (e) {
        loadError ??= e as Error;
    }
    if (loadError) {
        await settle();
        return {
            stack: opts.stack,
            project,
            file,
            resources,
            outputs: {},
            notes,
            secretValues,
            error: loadError,
        };
    }
    let outputs: Record<string, unknown> = {};
    try {
        outputs = (await Promise.race([resolveOutputs(exported), firstFailure])) ?? {};
    } catch (e) {
        late.unshift(e as Error);
    }
    await settle();
    if (late.length > 0) {
        // The runtime wraps an apply's error once per property it was serializing; the cause is what
        // the user needs (the engine prints it the same way, after its own prefix).
        const first = late.find((e) => !/^error serializing property/.test(e.message)) ?? late[0];
        const error = new Error(first.message.replace(/^(error serializing property "[^"]*": )+/, ""));
        return { stack: opts.stack, project, file, resources, outputs, notes, secretValues, error };
    }
    return {
        stack: opts.stack,
        project,
        file,
        resources,
        outputs,
        notes: [...new Set([...notes, ...placeholderNotes])],
        secretValues: [...new Set(secretValues)],
        error: undefined,
    };
}

/** Placeholder secrets for declared `source: config` secrets the stack file does not set. */
export function fillMissingConfigSecrets(
    project: string,
    config: Record<string, string>,
    secretKeys: string[],
    notes: string[],
    secretValues: string[],
): void {
    let declared: Record<string, { source?: string }> = {};
    try {
        declared = JSON.parse(config[`${project}:secrets`] ?? "{}");
    } catch {
        return; // the program reports the malformed key
    }
    for (const [name, decl] of Object.entries(declared ?? {})) {
        const key = `${project}:${name}`;
        if (decl?.source !== "config") continue;
        if (key in config) {
            if (secretKeys.includes(key)) secretValues.push(config[key]);
            continue;
        }
        config[key] = `offline-placeholder-for-${name}`;
        secretKeys.push(key);
        secretValues.push(config[key]);
        notes.push(
            `${key}: not set in the stack file (set it with: pulumi config set --secret ${name} <value>); an opaque placeholder secret stands in`,
        );
    }
}

/** A copy of `v` with every asset's promised `text` or `path` resolved. */
async function settleAssets(v: unknown): Promise<unknown> {
    if (v instanceof Promise) return settleAssets(await v);
    if (Array.isArray(v)) return Promise.all(v.map(settleAssets));
    if (v && typeof v === "object") {
        const entries = await Promise.all(
            Object.entries(v).map(async ([k, x]) => [k, await settleAssets(x)] as const),
        );
        return Object.fromEntries(entries);
    }
    return v;
}

/**
 * Every resource an input value (an Output, or a structure holding Outputs) depends on, read
 * synchronously from the Outputs (`resources()`: what `apply`, `all` and `output` carried along).
 * Not `allResources()`: that waits for the value, and never settles when the program failed.
 */
function resourcesOf(v: unknown, depth = 0): Set<object> {
    const out = new Set<object>();
    if (depth > 20 || v === null || v === undefined || typeof v !== "object") return out;
    if (pulumi.Output.isInstance(v)) {
        for (const r of (v as unknown as { resources(): Set<object> }).resources()) out.add(r);
        return out;
    }
    if (pulumi.Resource.isInstance(v) || v instanceof Promise) return out;
    for (const x of Array.isArray(v) ? v : Object.values(v))
        for (const r of resourcesOf(x, depth + 1)) out.add(r);
    return out;
}

/** Resolve exported Outputs to plain values, keeping secrets as "[secret]". */
async function resolveOutputs(v: unknown): Promise<any> {
    if (pulumi.Output.isInstance(v)) {
        const o = v as pulumi.Output<unknown>;
        // `promise()` is the Output's own (internal) promise: unlike a callback in `apply`, it
        // rejects when the program's apply throws (e.g. an image missing a platform).
        const [value, secret] = await Promise.all([
            (o as unknown as { promise(): Promise<unknown> }).promise(),
            pulumi.isSecret(o),
        ]);
        return secret ? "[secret]" : resolveOutputs(value);
    }
    if (Array.isArray(v)) return Promise.all(v.map(resolveOutputs));
    if (v && typeof v === "object" && !(v instanceof pulumi.Resource)) {
        const entries = await Promise.all(
            Object.entries(v).map(async ([k, x]) => [k, await resolveOutputs(x)] as const),
        );
        return Object.fromEntries(entries.filter(([, x]) => x !== undefined));
    }
    return v;
}

/** The recorded resources as the policy engine sees them: inputs unwrapped, outputs, dependencies. */
export function policyGraph(result: OfflineResult): import("./policy-engine").GraphResource[] {
    return result.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        props: unwrap(r.inputs) as Record<string, any>,
        state: r.state as Record<string, any>,
        options: r.options,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
    }));
}
