/**
 * The mock provider's answers: the computed outputs a provider would return for each resource
 * type, so the program's applies have values offline. Deterministic, from the logical name, so
 * plans are stable.
 */
import * as crypto from "node:crypto";
import { cloudRunServices, offlineReleaseStdout } from "./release";

export const ACCOUNT = "123456789012";

/** Computed outputs a provider would return, so the program's applies have values. */
export function mockState(
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
            const h = crypto
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
            const trafficStatuses = (inputs.traffics ?? []).map((t: any) => ({
                ...t,
                uri: t.tag ? `https://${t.tag}---${host}` : "",
            }));
            const svc = inputs.name ?? name;
            // A full resource name, as the Admin API v2 answers (revision.proto's Revision pattern).
            const latestReadyRevision = `projects/${gcp.project}/locations/${gcp.region}/services/${svc}/revisions/${inputs.template?.revision}`;
            cloudRunServices.set(`${gcp.project}/${svc}`, {
                name: `projects/${gcp.project}/locations/${gcp.region}/services/${svc}`,
                uri: `https://${host}`,
                latestReadyRevision,
                traffic: inputs.traffics ?? [],
                trafficStatuses,
            });
            Object.assign(s, {
                uri: `https://${host}`,
                trafficStatuses,
                latestReadyRevision,
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
        case "command:local:Command":
            Object.assign(s, { stdout: offlineReleaseStdout(inputs.environment?.RELEASE_SPEC), stderr: "" });
            break;
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
