/**
 * One Secrets Manager secret per service, a JSON object keyed by env var name, holding every
 * secret the service's contract reads. The task definition references each key with
 * `valueFrom: <arn>:<ENV_NAME>::<version id>` (ECS's JSON-key syntax,
 * `arn:...:secret:<name>:<json-key>:<version-stage>:<version-id>`), so secret values never
 * appear in the task definition, and the execution role can be limited to this one ARN.
 *
 * The version id is pinned: ECS reads a secret only when a task starts, so an unpinned reference
 * hands a changed value to whichever task happens to start next, at some later deploy or scaling
 * event. Changing a value writes a new version (the provider replaces the SecretVersion), its id
 * changes the task definition, and that rolls a blue-green deployment with the new value.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface ServiceSecretsArgs {
    /** Secret env values by env var name (Pulumi secrets). */
    values: Record<string, pulumi.Output<string>>;
    /** Days a deleted secret can be restored: at least 7 in production. @default 7 */
    recoveryWindowDays?: number;
    /** @default undefined */
    description?: string;
}

/** Recovery window: 30 days in production, 7 elsewhere (AWS's minimum besides 0). Pure. */
export function recoveryWindowDays(production: boolean): number {
    return production ? 30 : 7;
}

/** ECS `valueFrom` for one JSON key of one version of a secret. Pure. */
export function jsonKeyValueFrom(secretArn: string, key: string, versionId: string): string {
    return `${secretArn}:${key}::${versionId}`;
}

export class ServiceSecrets extends pulumi.ComponentResource {
    public readonly secret: aws.secretsmanager.Secret;
    public readonly arn: pulumi.Output<string>;
    /** The ECS `secrets` entries: one per env var, each a JSON-key reference. */
    public readonly ecsSecrets: pulumi.Output<{ name: string; valueFrom: string }[]>;

    constructor(name: string, args: ServiceSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:ServiceSecrets", name, {}, opts);
        this.secret = new aws.secretsmanager.Secret(
            `${name}-env`,
            {
                description: args.description,
                recoveryWindowInDays: args.recoveryWindowDays ?? 7,
            },
            { parent: this },
        );
        const names = Object.keys(args.values).sort();
        const secretString = pulumi.secret(
            pulumi
                .all(args.values)
                .apply((v) => JSON.stringify(Object.fromEntries(names.map((n) => [n, v[n]])))),
        );
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-env`,
            { secretId: this.secret.id, secretString },
            { parent: this },
        );
        this.arn = this.secret.arn;
        this.ecsSecrets = pulumi
            .all([this.secret.arn, version.versionId])
            .apply(([arn, versionId]) =>
                names.map((n) => ({ name: n, valueFrom: jsonKeyValueFrom(arn, n, versionId) })),
            );
        this.registerOutputs({ arn: this.arn });
    }
}
