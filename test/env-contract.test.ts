/**
 * The app declares the env it reads (.env.example, stamped into the image as one label) and each
 * target's env map is held to it: at config parse on AWS, GCP and the VM, and in the pack.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, PROJECT, parseStackConfig, type StackConfig } from "../components/config";
import {
    DeclarationError,
    ENV_LABEL,
    declarationFromLabel,
    declarationLabel,
    parseEnvDeclaration,
    type KnownDeclaration,
} from "../components/contract";
import { fillMissingConfigSecrets, readStackFile } from "../scripts/offline";
import { policyConfigFor } from "../scripts/policy-config";
import { imageBuild } from "../scripts/policy-fixtures";

const ROOT = path.resolve(__dirname, "..");
const APP_FILE = path.join(ROOT, "app", ".env.example");
const app = () => parseEnvDeclaration(fs.readFileSync(APP_FILE, "utf8"), "app/.env.example");

test("the example app's declaration matches what its entrypoint reads", () => {
    const sh = fs.readFileSync(path.join(ROOT, "app", "entrypoint.sh"), "utf8");
    const code = sh
        .split("\n")
        .filter((l) => !l.trimStart().startsWith("#"))
        .join("\n");
    const reads = new Map<string, "required" | "optional">();
    for (const m of code.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?[?=-])?/g)) {
        const kind = m[2]?.endsWith("?") ? "required" : m[2] ? "optional" : "required";
        if (!reads.has(m[1]) || kind === "required") reads.set(m[1], kind);
    }
    // `: "${PORT:=8080}"` gives a default, so a later plain ${PORT} is still optional.
    for (const m of code.matchAll(/\$\{([A-Z_][A-Z0-9_]*):[=-]/g)) reads.set(m[1], "optional");
    const d = app();
    assert.deepEqual(Object.keys(d).sort(), [...reads.keys()].sort());
    for (const [v, kind] of reads) assert.equal(d[v].optional, kind === "optional", v);
    assert.equal(d.DATABASE_URL.secret, true);
    assert.match(d.DATABASE_URL.description, /postgresql:\/\//);
});

test("a bad declaration file is an error naming the file, the line and the problem", () => {
    const table: [string, string][] = [
        [
            "database_url=\n",
            "f:1: database_url: a variable name is upper case letters, digits and _, e.g. DATABASE_URL",
        ],
        ["# x @secrett\nA=\n", "f:2: A: unknown tag @secrett; use @secret or @optional"],
        [
            "# @secret\nDATABASE_URL=postgresql://app:pw@db/app\n",
            "f:2: DATABASE_URL is @secret, so its example value must be empty (this file is committed)",
        ],
        ["A=1\n\nA=2\n", "f:3: A is declared twice (also line 1)"],
        ["A=1\nnot a line\n", 'f:2: expected NAME=example or a # comment, got "not a line"'],
    ];
    for (const [text, message] of table) {
        assert.throws(
            () => parseEnvDeclaration(text, "f"),
            (e: unknown) => e instanceof DeclarationError && e.message === message,
            text,
        );
    }
    assert.deepEqual(parseEnvDeclaration('# the port  @optional\nexport PORT="8080"\n', "f"), {
        PORT: { secret: false, optional: true, description: "the port" },
    });
});

test("the declaration label round-trips, and a malformed label names the image and the label", () => {
    const d = app();
    const label = declarationLabel(d);
    assert.equal(
        label,
        '{"APP_ENV":"optional","DATABASE_URL":"secret","LOG_LEVEL":"optional","PORT":"optional"}',
    );
    assert.deepEqual(
        declarationFromLabel(label, "img"),
        Object.fromEntries(Object.entries(d).map(([k, v]) => [k, { ...v, description: "" }])),
    );
    assert.throws(
        () => declarationFromLabel("{nope", "img"),
        /^Error: img: label dev\.service-deploy\.env is not JSON/,
    );
    assert.throws(
        () => declarationFromLabel('{"DATABASE_URL":"sekret"}', "img"),
        /img: label dev\.service-deploy\.env: DATABASE_URL: /,
    );
});

/** A committed stack's config with services[0].env replaced, parsed with a given declaration. */
function parseWith(
    stack: string,
    env: Record<string, unknown>,
    declaration: string | undefined,
): StackConfig {
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    const { config, secretKeys } = readStackFile(file, [], []);
    fillMissingConfigSecrets(PROJECT, config, secretKeys, [], []);
    const services = JSON.parse(config[`${PROJECT}:services`]);
    services[0].env = env;
    config[`${PROJECT}:services`] = JSON.stringify(services);
    const known: KnownDeclaration | undefined =
        declaration === undefined
            ? undefined
            : {
                  declaration: parseEnvDeclaration(declaration, "app/.env.example"),
                  source: "app/.env.example",
              };
    return parseStackConfig({
        config,
        isSecret: (k) => secretKeys.includes(k),
        file: `Pulumi.${stack}.yaml`,
        declarationOf: () => known,
    });
}

const URL_SECRET = "# @secret\nDATABASE_URL=\n";
const STACKS = { aws: "staging", gcp: "gcp-staging", vm: "vm-staging" } as const;
type T = keyof typeof STACKS;
const db = { from: "database.url" };
const dbSecret = { secret: "databaseUrl" };
/** The VM stack has no database of its own: its URL is a declared secret. */
const url = (t: T) => (t === "vm" ? dbSecret : db);

interface Shape {
    name: string;
    declaration: string | undefined;
    env: (t: T) => Record<string, unknown>;
    /** Per target: the errors (substrings, one per problem) and warnings expected. */
    want: (t: T) => { errors: string[]; warnings?: string[] };
}

const SHAPES: Shape[] = [
    {
        name: "every variable set",
        declaration: `${URL_SECRET}# @optional\nPORT=\n`,
        env: (t) => ({ DATABASE_URL: url(t), PORT: { from: "service.port" } }),
        want: () => ({ errors: [] }),
    },
    {
        name: "a read variable missing",
        declaration: `${URL_SECRET}LOG_LEVEL=info\n`,
        env: (t) => ({ DATABASE_URL: url(t) }),
        want: () => ({
            errors: [
                'env.LOG_LEVEL: SD-006: service "api" reads LOG_LEVEL (app/.env.example), which env does not set; add env.LOG_LEVEL',
            ],
        }),
    },
    {
        name: "renamed: DB_URL set for DATABASE_URL",
        declaration: URL_SECRET,
        env: (t) => ({ DB_URL: url(t) }),
        want: () => ({
            errors: [
                "reads DATABASE_URL (app/.env.example), which env does not set; DB_URL is set; did you mean DATABASE_URL?",
            ],
            warnings: ["sets DB_URL, which app/.env.example does not declare"],
        }),
    },
    {
        name: "parts set, URL read",
        declaration: URL_SECRET,
        env: () => ({
            DATABASE_HOST: { value: "db.internal" },
            DATABASE_NAME: { value: "app" },
            DATABASE_USER: { value: "app" },
            DATABASE_PASSWORD: { secret: "sessionSecret" },
        }),
        want: () => ({
            errors: [
                "reads DATABASE_URL (app/.env.example), which env does not set; DATABASE_HOST/DATABASE_NAME/DATABASE_USER/DATABASE_PASSWORD are set instead: the app reads the full URL DATABASE_URL, not its parts",
            ],
            warnings: [
                "sets DATABASE_HOST,",
                "sets DATABASE_NAME,",
                "sets DATABASE_PASSWORD,",
                "sets DATABASE_USER,",
            ],
        }),
    },
    {
        name: "URL set, parts read",
        declaration: "DATABASE_HOST=\nDATABASE_NAME=\n",
        env: (t) => ({ DATABASE_URL: url(t) }),
        want: () => ({
            errors: [
                "reads DATABASE_HOST (app/.env.example), which env does not set; DATABASE_URL is set instead: the app reads the part DATABASE_HOST, not the URL",
                "reads DATABASE_NAME (app/.env.example), which env does not set; DATABASE_URL is set instead: the app reads the part DATABASE_NAME, not the URL",
            ],
            warnings: ["sets DATABASE_URL,"],
        }),
    },
    {
        name: "a declared secret set in plain",
        declaration: "# @secret\nSESSION_SECRET=\n",
        env: () => ({ SESSION_SECRET: { from: "stack.environment" } }),
        want: () => ({
            errors: [
                "env.SESSION_SECRET: SD-007: SESSION_SECRET is a secret in app/.env.example but env sets it in plain text",
            ],
        }),
    },
    {
        name: "an optional variable left unset",
        declaration: `${URL_SECRET}# @optional\nLOG_LEVEL=info\n`,
        env: (t) => ({ DATABASE_URL: url(t) }),
        want: () => ({ errors: [] }),
    },
    {
        name: "an extra variable the app never reads",
        declaration: URL_SECRET,
        env: (t) => ({ DATABASE_URL: url(t), FEATURE_X: { value: "on" } }),
        want: () => ({
            errors: [],
            warnings: [
                'service "api" sets FEATURE_X, which app/.env.example does not declare: the app never reads it',
            ],
        }),
    },
    {
        name: "PORT read and not set: Cloud Run provides it",
        declaration: `${URL_SECRET}PORT=\n`,
        env: (t) => ({ DATABASE_URL: url(t) }),
        want: (t) => ({
            errors: t === "gcp" ? [] : ["reads PORT (app/.env.example), which env does not set"],
        }),
    },
    {
        name: "K_REVISION read: only Cloud Run sets it",
        declaration: `${URL_SECRET}K_REVISION=\n`,
        env: (t) => ({ DATABASE_URL: url(t) }),
        want: (t) => ({
            errors: t === "gcp" ? [] : ["reads K_REVISION (app/.env.example), which env does not set"],
        }),
    },
    {
        name: "a near-identical name (typo)",
        declaration: `${URL_SECRET}# @secret\nSTRIPE_API_KEY=\n`,
        env: (t) => ({ DATABASE_URL: url(t), STRIPE_APIKEY: { secret: "stripeApiKey" } }),
        want: () => ({
            errors: [
                "reads STRIPE_API_KEY (app/.env.example), which env does not set; STRIPE_APIKEY is set; did you mean STRIPE_API_KEY?",
            ],
            warnings: ["sets STRIPE_APIKEY,"],
        }),
    },
    {
        name: "a literal credential in env",
        declaration: URL_SECRET,
        env: () => ({ DATABASE_URL: { value: "mysql+pymysql://admin:hunter2@localhost:3306/app" } }),
        want: () => ({
            errors: [
                "env.DATABASE_URL: SD-007: env DATABASE_URL is a literal that looks like a credential (a URL with user:password@); it would sit in plain text in the stack file, the task definition or the VM env file. Run: pulumi config set --secret databaseUrl <value>, declare secrets.databaseUrl: { source: config }, and set env.DATABASE_URL: { secret: databaseUrl }",
                "env.DATABASE_URL: SD-007: DATABASE_URL is a secret in app/.env.example but env sets it in plain text",
            ],
        }),
    },
    {
        name: "a literal _TOKEN, even when the app never declared it",
        declaration: URL_SECRET,
        env: (t) => ({ DATABASE_URL: url(t), GITHUB_TOKEN: { value: "ghp_x" } }),
        want: () => ({
            errors: [
                "env.GITHUB_TOKEN: SD-007: env GITHUB_TOKEN is a literal that looks like a credential (a name ending in _TOKEN)",
            ],
            warnings: ["sets GITHUB_TOKEN,"],
        }),
    },
    {
        name: "the declaration unreadable (a prebuilt ref offline): nothing to hold env to at parse",
        declaration: undefined,
        env: () => ({ DB_URL: { value: "x" } }),
        want: () => ({ errors: [] }),
    },
];

for (const shape of SHAPES) {
    for (const t of Object.keys(STACKS) as T[]) {
        test(`env against the app's declaration, ${t}: ${shape.name}`, () => {
            const want = shape.want(t);
            let cfg: StackConfig | undefined;
            let errors: string[] = [];
            try {
                cfg = parseWith(STACKS[t], shape.env(t), shape.declaration);
            } catch (e) {
                if (!(e instanceof ConfigError)) throw e;
                errors = e.problems.map(
                    (p) => `${p.key.replace(/^service-deploy:services\[0\]\./, "")}: ${p.message}`,
                );
            }
            const mine = errors.filter((e) => e.startsWith("env."));
            // A variable the app reads and env lacks is SD-006; a credential in plain env, SD-007.
            for (const e of mine) {
                const code = e.includes("which env does not set") ? "sd-006" : "sd-007";
                assert.match(
                    e,
                    new RegExp(
                        `^env\\.[A-Z0-9_]+: ${code.toUpperCase()}: .*\\(see docs/failures\\.md#${code}\\)$`,
                        "s",
                    ),
                );
            }
            assert.equal(mine.length, want.errors.length, mine.join("\n"));
            for (const w of want.errors)
                assert.ok(
                    mine.some((e) => e.includes(w)),
                    `${w}\nnot in\n${mine.join("\n")}`,
                );
            if (cfg) {
                const ws = want.warnings ?? [];
                assert.equal(cfg.warnings.length, ws.length, cfg.warnings.join("\n"));
                for (const w of ws)
                    assert.ok(
                        cfg.warnings.some((x) => x.includes(w)),
                        `${w} not in ${cfg.warnings.join("\n")}`,
                    );
            }
        });
    }
}

test("without the app's declaration the pack's env check is advisory for the stack; with it, mandatory and given the declaration", () => {
    const cfg = parseWith("vm-staging", { DATABASE_URL: dbSecret }, undefined);
    const advisory = policyConfigFor(cfg, () => undefined)["env-contract-complete"] as Record<string, any>;
    assert.equal(advisory.enforcementLevel, "advisory");
    assert.equal(advisory.contracts.api.reads, undefined);
    const known = { declaration: app(), source: `label ${ENV_LABEL}` };
    const held = policyConfigFor(cfg, () => known)["env-contract-complete"] as Record<string, any>;
    assert.equal(held.enforcementLevel, undefined);
    assert.deepEqual(held.contracts.api.reads, {
        APP_ENV: { optional: true },
        DATABASE_URL: { secret: true },
        LOG_LEVEL: { optional: true },
        PORT: { optional: true },
    });
});

test("a build stamps the app's declaration into the image as the one label", () => {
    assert.deepEqual(imageBuild().props.labels, { [ENV_LABEL]: declarationLabel(app()) });
});
