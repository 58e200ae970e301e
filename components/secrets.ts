/**
 * The stack's declared secrets as Pulumi secrets: config ones from their own config key (set with
 * `pulumi config set --secret`), generated ones from a random password kept in state (encrypted
 * like every Pulumi secret). Targets then deliver them through their own secret store.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SecretDecl } from "./config";

export interface StackSecretsArgs {
    /** Declared secrets by name. */
    declared: Record<string, SecretDecl>;
    /** Values of the `source: config` ones, read from config by the caller. */
    configValues: Record<string, string>;
}

export class StackSecrets extends pulumi.ComponentResource {
    /** Every declared secret, by name, always wrapped as a Pulumi secret. */
    public readonly values: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: StackSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:index:StackSecrets", name, {}, opts);
        this.values = {};
        for (const [secretName, decl] of Object.entries(args.declared)) {
            if (decl.source === "config") {
                const v = args.configValues[secretName];
                if (v === undefined) throw new Error(`secret ${secretName} has no config value`);
                this.values[secretName] = pulumi.secret(v);
            } else {
                // special: false keeps the value URL- and shell-safe; 48+ alphanumerics is ~285 bits.
                const pw = new random.RandomPassword(
                    `${name}-${secretName}`,
                    { length: decl.length, special: false },
                    { parent: this },
                );
                // The engine marks `result` secret (additionalSecretOutputs); say it here too, so the
                // secretness does not depend on the engine (mocks do not apply additionalSecretOutputs).
                this.values[secretName] = pulumi.secret(pw.result);
            }
        }
        this.registerOutputs({});
    }
}
