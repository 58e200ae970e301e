/**
 * Secret Manager for one Cloud Run service: a secret per secret env var, its value as a version,
 * and `secretAccessor` for the service's own account on exactly these secrets. Cloud Run reads
 * each through `valueSource.secretKeyRef` pinned to the version created here, never `latest`, so
 * a restart never picks up a value nobody reviewed; a new value is a new version, hence a new
 * revision, through `pulumi up`. Old versions are kept (`deletionPolicy: "ABANDON"`): the
 * revision kept for rollback reads the version it was pinned to.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

export interface ServiceSecretsArgs {
    /** Secret env values by env var name (Pulumi secrets). */
    values: Record<string, pulumi.Output<string>>;
    /** Prefix of secret ids, e.g. `production-api` (ids are project-wide). */
    idPrefix: string;
    project: string;
    /** The service account that may read them. */
    serviceAccountEmail: pulumi.Input<string>;
    /** @default {} */
    labels?: Record<string, string>;
}

/** Secret id for an env var: `production-api-database-url`. Pure. */
export function secretId(prefix: string, envName: string): string {
    return `${prefix}-${envName.toLowerCase().replace(/_/g, "-")}`;
}

export interface CloudRunSecretEnv {
    name: string;
    valueSource: { secretKeyRef: { secret: pulumi.Output<string>; version: pulumi.Output<string> } };
}

export class ServiceSecrets extends pulumi.ComponentResource {
    /** Cloud Run `envs` entries, each pinned to its version. */
    public readonly envs: CloudRunSecretEnv[] = [];
    public readonly secrets: gcp.secretmanager.Secret[] = [];
    /** The service account's `secretAccessor` bindings: a revision that reads these waits on them. */
    public readonly readers: gcp.secretmanager.SecretIamMember[] = [];

    constructor(name: string, args: ServiceSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:ServiceSecrets", name, {}, opts);
        for (const env of Object.keys(args.values).sort()) {
            const role = env.toLowerCase().replace(/_/g, "-");
            const secret = new gcp.secretmanager.Secret(
                `${name}-${role}`,
                {
                    secretId: secretId(args.idPrefix, env),
                    project: args.project,
                    replication: { auto: {} },
                    labels: args.labels,
                },
                { parent: this },
            );
            const version = new gcp.secretmanager.SecretVersion(
                `${name}-${role}`,
                {
                    secret: secret.id,
                    secretData: pulumi.secret(args.values[env]),
                    // A new value replaces this resource; ABANDON leaves the old version enabled
                    // in Secret Manager, so the previous revision (pinned to it) still starts
                    // after a rollback by traffic.
                    deletionPolicy: "ABANDON",
                },
                { parent: this },
            );
            const reader = new gcp.secretmanager.SecretIamMember(
                `${name}-${role}-reader`,
                {
                    project: args.project,
                    secretId: secret.secretId,
                    role: "roles/secretmanager.secretAccessor",
                    member: pulumi.interpolate`serviceAccount:${args.serviceAccountEmail}`,
                },
                { parent: this },
            );
            this.readers.push(reader);
            this.secrets.push(secret);
            this.envs.push({
                name: env,
                valueSource: { secretKeyRef: { secret: secret.secretId, version: version.version } },
            });
        }
        this.registerOutputs({});
    }
}
