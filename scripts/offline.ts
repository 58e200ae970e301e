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
 *
 * This file is the entry point (`runOffline`, the invokes' answers) and re-exports the parts:
 * offline/stack-file.ts (the stack file, secure values, secret wrappers), offline/mock-state.ts
 * (each resource type's mocked provider state), offline/record.ts (a registration's URN, options
 * and dependencies), offline/outputs.ts (assets, exports, the policy graph), offline/types.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { setImageConfigReader } from "../components/registry";
import { ACCOUNT, mockState } from "./offline/mock-state";
import { resolveOutputs, settleAssets } from "./offline/outputs";
import { recordRegistration } from "./offline/record";
import { awsPlaceholderNotes, fillMissingConfigSecrets, readStackFile, unwrap } from "./offline/stack-file";
import type { OfflineOptions, OfflineResult, RecordedResource } from "./offline/types";

export { ACCOUNT } from "./offline/mock-state";
export { policyGraph } from "./offline/outputs";
export { fillMissingConfigSecrets, isSecretValue, readStackFile, redact, unwrap } from "./offline/stack-file";
export type { Manifest, OfflineOptions, OfflineResult, RecordedResource } from "./offline/types";

const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export const ROOT = path.resolve(__dirname, "..");

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
    // Placeholders (AWS's example account, documentation networks) pass under mocks; list them.
    const placeholderNotes = awsPlaceholderNotes(project, config);
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
                    case "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo": {
                        const email = `deployer@${gcpLocation.project}.iam.gserviceaccount.com`;
                        notes.push(
                            `the deployer's identity (who may mint the release tester's ID tokens): taken from the provider's credentials at deploy time; assumed ${email} offline`,
                        );
                        return { email, id: email };
                    }
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
            pulumi.runtime.registerStackTransformation((args) =>
                recordRegistration(args, { stack: opts.stack, project, resources, byKey, urnOf }),
            );
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
