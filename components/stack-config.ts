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

/** Whether the program runs under `pulumi.runtime.setMocks` (no engine, no cloud). */
function runningUnderMocks(): boolean {
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown };
    const mocks = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: new (...a: never[]) => unknown };
    return settings.getMonitor() instanceof mocks.MockMonitor;
}

export function loadStackConfig(): StackConfig {
    return parseStackConfig({
        config: pulumi.runtime.allConfig(),
        isSecret: (k) => runtimeConfig.isConfigSecret(k),
        // The offline plan may read another file (`--config`); it says which, for the messages.
        file: process.env.SERVICE_DEPLOY_STACK_FILE ?? `Pulumi.${pulumi.getStack()}.yaml`,
        // Under mocks (the offline plan, tests) placeholders pass and the plan lists them; the
        // real engine (preview or up) refuses them before any resource is registered.
        allowPlaceholders: runningUnderMocks(),
    });
}
