/** The committed policy config files are what `npm run policy-config` generates from the stack files. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policyConfigFor, policyConfigPath, render, stackConfigOf } from "../scripts/policy-config";
import { knownStacks } from "../scripts/plan";

const ROOT = path.resolve(__dirname, "..");

for (const stack of knownStacks()) {
    test(`policies/config/${stack}.json matches Pulumi.${stack}.yaml`, () => {
        const generated = render(policyConfigFor(stackConfigOf(path.join(ROOT, `Pulumi.${stack}.yaml`))));
        assert.equal(
            fs.readFileSync(policyConfigPath(stack), "utf8"),
            generated,
            `run: npm run policy-config -- --stack ${stack}`,
        );
        const parsed = JSON.parse(generated);
        assert.equal(parsed["production-database"].production, stack.endsWith("production"));
        assert.deepEqual(Object.keys(parsed["env-contract-complete"].contracts.api.env).sort(), [
            "APP_ENV",
            "DATABASE_URL",
            "LOG_LEVEL",
            "PORT",
            "SESSION_SECRET",
            "STRIPE_API_KEY",
        ]);
    });
}
