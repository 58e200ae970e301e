/**
 * Reads the running stack's config from the Pulumi runtime and parses it. The only place that
 * touches the runtime's config; `parseStackConfig` stays pure.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type StackConfig } from "./config";

// `isConfigSecret` is marked @internal in @pulumi/pulumi's typings but exported by
// runtime/config.js; it reads PULUMI_CONFIG_SECRET_KEYS, which the engine sets for every
// `secure:` key (and `setAllConfig(config, secretKeys)` sets under mocks).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

export function loadStackConfig(): StackConfig {
    return parseStackConfig({
        config: pulumi.runtime.allConfig(),
        isSecret: (k) => runtimeConfig.isConfigSecret(k),
        // The offline plan may read another file (`--config`); it says which, for the messages.
        file: process.env.SERVICE_DEPLOY_STACK_FILE ?? `Pulumi.${pulumi.getStack()}.yaml`,
    });
}
