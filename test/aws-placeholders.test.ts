/**
 * Placeholders in the committed AWS stack files: marked in the file, listed by the offline plan,
 * refused by a real run at config parse (before any resource), naming the key.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { awsPlaceholders } from "../components/aws/placeholders";
import { ConfigError, parseStackConfig } from "../components/config";
import { readStackFile } from "../scripts/offline";

const ROOT = path.resolve(__dirname, "..");
/** The stack file as a user has it after `pulumi config set --secret` of every declared secret. */
const load = (stack: string) => {
    const { config, secretKeys } = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), [], []);
    const declared = JSON.parse(config["service-deploy:secrets"] ?? "{}") as Record<
        string,
        { source: string }
    >;
    const set: string[] = [];
    for (const [name, d] of Object.entries(declared)) {
        const key = `service-deploy:${name}`;
        if (d.source !== "config" || config[key] !== undefined) continue;
        config[key] = name === "stripeApiKey" ? "sk_test_value" : "https://hooks.slack.com/services/T0/B0/x";
        set.push(key);
    }
    return { config, secretKeys: [...secretKeys, ...set] };
};
const decoded = (c: Record<string, string>) => ({
    aws: JSON.parse(c["service-deploy:aws"]),
    blueGreen: JSON.parse(c["service-deploy:blueGreen"]),
    alarms: JSON.parse(c["service-deploy:alarms"]),
    services: JSON.parse(c["service-deploy:services"]),
});

for (const stack of ["staging", "production"]) {
    describe(`${stack} placeholders`, () => {
        it("every placeholder value is marked PLACEHOLDER on its line in the stack file", () => {
            const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8").split("\n");
            const found = awsPlaceholders(decoded(load(stack).config));
            assert.ok(found.length >= 3, "certificate, testCidr and e-mail at least");
            // image.ref is rewritten by promotion, which keeps the line as it is; the header says it.
            for (const p of found.filter((x) => !x.key.endsWith("image.ref"))) {
                const line = text.find((l) => !l.trimStart().startsWith("#") && l.includes(p.value));
                assert.match(line ?? "", /# PLACEHOLDER/, `${p.key} is marked`);
            }
        });

        it("a real run refuses them at config parse, naming each key", () => {
            const { config, secretKeys } = load(stack);
            const expected = awsPlaceholders(decoded(config)).map((p) => p.key);
            let err: unknown;
            try {
                parseStackConfig({
                    config,
                    isSecret: (k) => secretKeys.includes(k),
                    file: `Pulumi.${stack}.yaml`,
                    allowPlaceholders: false,
                });
            } catch (e) {
                err = e;
            }
            assert.ok(err instanceof ConfigError);
            assert.deepEqual(err.problems.map((p) => p.key).sort(), expected.sort());
            assert.match(
                err.message,
                /certificateArn: arn:aws:acm:ap-northeast-1:123456789012:.* is a placeholder; replace it with your ACM certificate ARN/,
            );
        });

        it("a real run accepts the file once the placeholders are replaced", () => {
            const { config, secretKeys } = load(stack);
            const raw = decoded(config);
            raw.aws.certificateArn = raw.aws.certificateArn.replace("123456789012", "210987654321");
            raw.blueGreen.testCidr = "10.99.0.0/16";
            raw.alarms.emails = ["oncall@corp.invalid"];
            if (raw.services[0].image.ref)
                raw.services[0].image.ref = raw.services[0].image.ref.replace("123456789012", "210987654321");
            for (const [k, v] of Object.entries(raw)) config[`service-deploy:${k}`] = JSON.stringify(v);
            const parsed = parseStackConfig({
                config,
                isSecret: (k) => secretKeys.includes(k),
                file: `Pulumi.${stack}.yaml`,
                allowPlaceholders: false,
            });
            assert.equal(parsed.services[0].name, "api");
        });
    });
}
