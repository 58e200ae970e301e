/** The pack as a whole: every policy built is registered, levels are configurable, the engine's semantics hold. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../policies/policies";
import { checkPackConfig, evaluatePack } from "../../scripts/policy-engine";
import { CONFIG, rds, taskDefinition } from "../../scripts/policy-fixtures";

const DIR = path.resolve(__dirname, "..", "..", "policies");
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // @pulumi/policy proxy.ts unknownStringValue

test("every policy factory in the policy files is registered in the pack, once", () => {
    const declared: string[] = [];
    for (const f of fs.readdirSync(DIR).filter((f) => f.endsWith(".ts"))) {
        for (const m of fs
            .readFileSync(path.join(DIR, f), "utf8")
            .matchAll(/export function \w+\(\s*name = "([a-z0-9-]+)"/g))
            declared.push(m[1]);
    }
    assert.equal(declared.length, 11);
    assert.deepEqual(policies.map((p) => p.name).sort(), declared.sort());
});

test("every policy has a kebab-case name, a description, and mandatory by default", () => {
    for (const p of policies) {
        assert.match(p.name, /^[a-z]+(-[a-z0-9]+)+$/);
        assert.ok(p.description.length > 20, p.name);
        assert.equal(p.enforcementLevel, "mandatory", p.name);
    }
});

test("policy config changes a policy's enforcement level, or disables it", async () => {
    const unsafe = [rds({ multiAz: false })];
    const base = await evaluatePack(policies, unsafe, { config: CONFIG });
    assert.deepEqual(
        base.violations.map((v) => [v.policy, v.enforcementLevel]),
        [["production-database", "mandatory"]],
    );
    const advisory = await evaluatePack(policies, unsafe, {
        config: { ...CONFIG, "production-database": { enforcementLevel: "advisory", production: true } },
    });
    assert.deepEqual(
        advisory.violations.map((v) => [v.policy, v.enforcementLevel]),
        [["production-database", "advisory"]],
    );
    const disabled = await evaluatePack(policies, unsafe, {
        config: { ...CONFIG, "production-database": "disabled" },
    });
    assert.deepEqual(disabled.violations, []);
    assert.equal(
        disabled.policies.find((p) => p.name === "production-database")?.enforcementLevel,
        "disabled",
    );
});

test("a value unknown during preview makes the policy advisory with the engine's message, not a verdict", async () => {
    const td = taskDefinition({}, { containerDefinitions: UNKNOWN_STRING });
    const e = await evaluatePack(policies, [td], { config: CONFIG });
    const unknown = e.violations.filter((v) => v.message.includes("during preview"));
    assert.ok(unknown.length >= 3, `${unknown.length} policies touched the unknown value`);
    for (const v of unknown) {
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(
            v.message,
            new RegExp(
                `^can't run policy '${v.policy}' during preview: string value at \\.containerDefinitions can't be known during preview$`,
            ),
        );
    }
    assert.deepEqual(
        e.violations.filter((v) => v.enforcementLevel === "mandatory"),
        [],
    );
});

test("policy config naming a policy the pack does not have is an error, not a silent no-op", () => {
    assert.deepEqual(checkPackConfig(policies, { "production-databse": { production: true } }), [
        `policy config names "production-databse", which is not a policy of this pack (policies: ${policies.map((p) => p.name).join(", ")})`,
    ]);
});

test("the pack's index only constructs the PolicyPack from the shared list", () => {
    const index = fs.readFileSync(path.join(DIR, "index.ts"), "utf8");
    assert.match(index, /new PolicyPack\("service-deploy", \{ policies \}\);/);
    assert.match(index, /from "\.\/policies"/);
});
