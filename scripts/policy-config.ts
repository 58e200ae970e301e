/**
 * The policy pack's config for a stack, generated from the stack config: the services' env
 * contracts (the same single declaration the program deploys from) and whether the stack is
 * production. `pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json`
 * reads the committed file; the offline plan generates it on the fly; a test keeps the two equal.
 *
 *   npm run policy-config -- --stack <name> [--check]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackConfig } from "@pulumi/policy";
import { PROJECT, parseStackConfig, type StackConfig } from "../components/config";
import { envKind, readContextDeclaration, type KnownDeclaration } from "../components/contract";
import { ROOT, fillMissingConfigSecrets, readStackFile } from "./offline";

/** How a service's app declaration is found: its build context, or a label the caller read. */
export type DeclarationLookup = (service: StackConfig["services"][number]) => KnownDeclaration | undefined;

export const contextOnly: DeclarationLookup = (s) =>
    "build" in s.image ? readContextDeclaration(s.image.build.context) : undefined;

/** Services whose app declaration could not be read: env-contract-complete is advisory for them. */
export function unverifiedServices(cfg: StackConfig, lookup: DeclarationLookup = contextOnly): string[] {
    return cfg.services.filter((s) => !lookup(s)).map((s) => s.name);
}

export function policyConfigFor(cfg: StackConfig, lookup: DeclarationLookup = contextOnly): PolicyPackConfig {
    const unverified = unverifiedServices(cfg, lookup);
    const contracts = Object.fromEntries(
        cfg.services.map((s) => [
            s.name,
            {
                ...readsOf(lookup(s)),
                env: Object.fromEntries(
                    Object.keys(s.env)
                        .sort()
                        .map((k) => [k, envKind(s.env[k])]),
                ),
                health: {
                    liveness: s.health.liveness,
                    readiness: s.health.readiness,
                    health: s.health.health,
                },
                architecture: s.architecture,
            },
        ]),
    );
    return {
        "image-platform-matches-target": { contracts },
        // Without the app's declaration the check compares the stack with itself: advisory, and
        // the plan lists the service under "Not verified offline" (docs/env-contract.md).
        "env-contract-complete":
            unverified.length > 0 ? { enforcementLevel: "advisory", contracts } : { contracts },
        "no-plaintext-secrets": { contracts },
        "health-checks-consistent": { contracts },
        "production-database": { production: cfg.production },
        "production-builds-nothing": { production: cfg.production },
        "edge-security": { production: cfg.production },
    };
}

function readsOf(known: KnownDeclaration | undefined) {
    if (!known) return {};
    const d = known.declaration;
    return {
        reads: Object.fromEntries(
            Object.keys(d)
                .sort()
                .map((k) => [
                    k,
                    {
                        ...(d[k].secret ? { secret: true } : {}),
                        ...(d[k].optional ? { optional: true } : {}),
                    },
                ]),
        ),
    };
}

/** Parse a stack file the way the program would, secrets opaque. */
export function stackConfigOf(file: string): StackConfig {
    const { config, secretKeys } = readStackFile(file, [], []);
    fillMissingConfigSecrets(PROJECT, config, secretKeys, [], []);
    return parseStackConfig({
        config,
        isSecret: (k) => secretKeys.includes(k),
        file: path.relative(ROOT, file) || file,
    });
}

export const policyConfigPath = (stack: string) => path.join(ROOT, "policies", "config", `${stack}.json`);
export const render = (c: PolicyPackConfig) => `${JSON.stringify(c, null, 2)}\n`;

if (require.main === module) {
    const args = process.argv.slice(2);
    const stack = args[args.indexOf("--stack") + 1];
    if (!args.includes("--stack") || !stack || stack.startsWith("--")) {
        process.stderr.write("usage: npm run policy-config -- --stack <name> [--check]\n");
        process.exit(2);
    }
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        process.stderr.write(`policy-config: no stack file Pulumi.${stack}.yaml\n`);
        process.exit(2);
    }
    let text: string;
    try {
        text = render(policyConfigFor(stackConfigOf(file)));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
    }
    const out = policyConfigPath(stack);
    if (args.includes("--check")) {
        const current = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
        if (current !== text) {
            process.stderr.write(
                `${path.relative(ROOT, out)} is out of date with Pulumi.${stack}.yaml; run: npm run policy-config -- --stack ${stack}\n`,
            );
            process.exit(1);
        }
        process.stdout.write(`${path.relative(ROOT, out)} is up to date\n`);
    } else {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, text);
        process.stdout.write(`wrote ${path.relative(ROOT, out)}\n`);
    }
}
