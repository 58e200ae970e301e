/**
 * The harness of the invalid-config tables (invalid-config.test.ts, invalid-config-gcp.test.ts):
 * each case starts from a committed stack file, changes one thing, and runs the program under
 * mocks that count registrations; the problem must name its key (and its failure code, when the
 * failure is one of docs/failures.md) and nothing may be registered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../scripts/offline";
import { ConfigError } from "../components/config";
import { FAILURES_PAGE, type FailureCode } from "../components/failures";

export const ROOT = path.resolve(__dirname, "..");
export const base = (stack = "staging") => {
    const { config, secretKeys } = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), [], []);
    config["service-deploy:stripeApiKey"] = "sk_test_staging_value";
    // The Slack destination's secret the committed stacks declare (docs/notifications.md).
    const slack = stack === "gcp-staging" ? "slackBotToken" : "slackWebhookUrl";
    config[`service-deploy:${slack}`] = "https://hooks.slack.com/services/T0/B0/staging";
    return { config, secretKeys: [...secretKeys, "service-deploy:stripeApiKey", `service-deploy:${slack}`] };
};
export const obj = (c: Record<string, string>, k: string) => JSON.parse(c[`service-deploy:${k}`]);
export const set = (c: Record<string, string>, k: string, v: unknown) => {
    c[`service-deploy:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
};
export const svc = (c: Record<string, string>, f: (s: any) => void) => {
    const s = obj(c, "services");
    f(s[0]);
    set(c, "services", s);
};

export interface Case {
    name: string;
    mutate: (c: Record<string, string>, secretKeys: string[]) => void;
    key: string;
    message: RegExp;
    /** The failure of docs/failures.md the problem is, when it is one: its code leads the message, its link ends it. */
    code?: FailureCode;
    stack?: string;
}
export const cr = (c: Record<string, string>, f: (cloudRun: any) => void) => svc(c, (s) => f(s.cloudRun));

// The program runs under mocks that count registrations: a bad config must register none.
let registered = 0;
export const ready = pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            registered++;
            return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => {
            throw new Error("no invoke expected");
        },
    },
    "service-deploy",
    "staging",
    true,
);

export function runProgram(config: Record<string, string>, secretKeys: string[]): Error | undefined {
    pulumi.runtime.setAllConfig(config, secretKeys);
    const program = require.resolve(path.join(ROOT, "index.ts"));
    delete require.cache[program];
    try {
        require(program);
        return undefined;
    } catch (e) {
        return e as Error;
    }
}

/** One test per case: refused, naming its key, with nothing registered. */
export function invalidConfigTests(cases: Case[]): void {
    for (const c of cases) {
        test(`invalid config is refused, naming ${c.key}, with nothing registered: ${c.name}`, async () => {
            await ready;
            const { config, secretKeys } = base(c.stack);
            c.mutate(config, secretKeys);
            registered = 0;
            const err = runProgram(config, secretKeys);
            assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
            const line = err.problems.find((p) => p.key === c.key);
            assert.ok(line, `a problem names ${c.key}; got: ${err.problems.map((p) => p.key).join(", ")}`);
            assert.match(line.message, c.message);
            if (c.code) {
                assert.ok(line.message.startsWith(`${c.code}: `), `starts with ${c.code}: ${line.message}`);
                assert.ok(
                    line.message.endsWith(`(see ${FAILURES_PAGE}#${c.code.toLowerCase()})`),
                    `ends with the link to ${c.code}: ${line.message}`,
                );
            }
            assert.match(
                err.message,
                new RegExp(`Pulumi\\.staging\\.yaml: ${c.key.replace(/[.[\]$]/g, "\\$&")}: `),
            );
            assert.equal(registered, 0, "no resource registered");
        });
    }
}
