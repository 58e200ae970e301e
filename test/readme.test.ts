/**
 * The README and docs/ stay true and readable: the config reference (docs/configuration.md) lists
 * exactly the schema's keys and its example parses, the commands exist, no code line is wider than
 * GitHub's column, no link leaves the repository, the README's flow picture renders.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { schemaKeyPaths } from "../components/config";
import { anchors, badLinks, freshMachineBlock, namedScripts, wideCodeLines } from "../scripts/docs-check";
import { stackConfigOf } from "../scripts/policy-config";
import { mermaidBlocks, renderInChromium, renderedPages } from "../scripts/render-mermaid";

const ROOT = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const configuration = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");

/** The keys a reference section documents: the first cell of each table row, in backticks. */
function documentedKeys(section: string): string[] {
    return section
        .split("\n")
        .map((l) => /^\| `([^`]+)` \|/.exec(l)?.[1])
        .filter((k): k is string => !!k)
        .sort();
}

test("docs/configuration.md's reference lists exactly the keys the schema accepts, each once", () => {
    const section = configuration.split("\n## Config reference\n")[1]?.split("\n## ")[0];
    assert.ok(section, 'docs/configuration.md has a "## Config reference" section');
    assert.deepEqual(documentedKeys(section), schemaKeyPaths());
});

test("documentedKeys: a removed row or a duplicated one is a difference", () => {
    const rows = "| `a` | int | | |\n| `b` | int | | |\nprose `c`\n| key | type |\n";
    assert.deepEqual(documentedKeys(rows), ["a", "b"]);
    assert.notDeepEqual(documentedKeys(rows.replace("| `b` | int | | |\n", "")), ["a", "b"]);
    assert.notDeepEqual(documentedKeys(`${rows}| \`a\` | int | | |\n`), ["a", "b"]);
});

test("docs/configuration.md's complete example is a stack file the program's parser accepts", () => {
    const m = /<!-- example:aws-staging -->\n```yaml\n([\s\S]*?)```/.exec(configuration);
    assert.ok(m, "docs/configuration.md has the example block");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-example-"));
    try {
        // `image.build.context: ./app` resolves against the repository root, as a stack file's does.
        const file = path.join(dir, "Pulumi.example.yaml");
        fs.writeFileSync(file, m[1]);
        const config = stackConfigOf(file);
        assert.equal(config.environment, "staging");
        assert.deepEqual(
            config.services.map((s) => s.target),
            ["aws"],
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

const docPages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter(
    (f) => f.endsWith(".md"),
);

test("every `npm run` in README.md and docs/*.md is a script of package.json", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    for (const f of docPages)
        for (const name of namedScripts(fs.readFileSync(path.join(ROOT, f), "utf8")))
            assert.ok(scripts[name], `${f}: npm run ${name} exists`);
});

test("wideCodeLines: code lines over 90 characters, not prose, not mermaid, with their line numbers", () => {
    const long = "x".repeat(91);
    const table: [string, number[]][] = [
        [`\`\`\`sh\n${"y".repeat(90)}\n${long}\n\`\`\`\n`, [3]],
        [`${long}\n\n\`\`\`\nok\n\`\`\`\n`, []],
        [`\`\`\`mermaid\n${long}\n\`\`\`\n\`\`\`\n${long}\n\`\`\`\n`, [5]],
        [`~~~yaml\n${long}\n~~~\n`, [2]],
        [`- item\n\n  \`\`\`sh\n  ${long}\n  \`\`\`\n`, [4]],
        [`\`\`\`\n${"é".repeat(90)}\n\`\`\`\n`, []],
    ];
    for (const [md, lines] of table)
        assert.deepEqual(
            wideCodeLines(md).map((w) => w.line),
            lines,
            md,
        );
});

test("badLinks: a link must resolve to a file of the repository, and an anchor to one of its headings", () => {
    const page = path.join(ROOT, "docs", "page.md");
    const table: [string, string[]][] = [
        ["[ok](failures.md) [ok](failures.md#sd-001) [ok](../README.md) [web](https://example.com)", []],
        [
            "see [x](../shared/context.md)",
            ["docs/page.md:1: ../shared/context.md: no such file in the repository"],
        ],
        [
            "see `../shared/context.md`",
            ["docs/page.md:1: ../shared/context.md: no such file in the repository"],
        ],
        ["[x](../../elsewhere.md)", ["docs/page.md:1: ../../elsewhere.md: leaves the repository"]],
        [
            "[x](failures.md#sd-999)",
            ["docs/page.md:1: failures.md#sd-999: docs/failures.md has no heading #sd-999"],
        ],
        ["\n[ref]: nope.md", ["docs/page.md:2: nope.md: no such file in the repository"]],
        ['<img src="nope.png">', ["docs/page.md:1: nope.png: no such file in the repository"]],
        ["```sh\n[x](nope.md) ../nope\n```", []],
        ["`[x](nope.md)`", []],
    ];
    for (const [md, bad] of table) assert.deepEqual(badLinks(md, page, ROOT), bad, md);
});

test("anchors: GitHub's heading ids, duplicates numbered", () => {
    assert.deepEqual(
        [
            ...anchors(
                "## SD-012\n## The offline plan\n## `npm run plan` flags\n## A, b & c!\n## Again\n## Again\n",
            ),
        ],
        ["sd-012", "the-offline-plan", "npm-run-plan-flags", "a-b--c", "again", "again-1"],
    );
});

const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith(".md"),
);

test("no code line in README.md or docs/*.md is wider than 90 characters", () => {
    const wide = pages.flatMap((f) =>
        wideCodeLines(fs.readFileSync(path.join(ROOT, f), "utf8")).map((w) => `${f}:${w.line} (${w.width})`),
    );
    assert.deepEqual(wide, []);
});

test("every link in README.md and docs/*.md stays in the repository and resolves", () => {
    const bad = pages.flatMap((f) =>
        badLinks(fs.readFileSync(path.join(ROOT, f), "utf8"), path.join(ROOT, f), ROOT),
    );
    assert.deepEqual(bad, []);
});

test("no tracked file speaks of the project's source write-ups: failures go by code or in plain words", () => {
    // The word is spelled with a character class so this file does not hold it either. cloud-init's
    // NoCloud directory (/var/lib/cloud/s…/nocloud) is a path cloud-init defines, not our word.
    const word = /\bs[e]eds?\b/i;
    const cloudInitDir = /\/var\/lib\/cloud\/s[e]ed\//g;
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
        .split("\0")
        .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
    const hits = tracked.flatMap((f) =>
        fs
            .readFileSync(path.join(ROOT, f), "utf8")
            .split("\n")
            .flatMap((line, i) => (word.test(line.replace(cloudInitDir, "")) ? [`${f}:${i + 1}`] : [])),
    );
    assert.deepEqual(hits, []);
});

test("the README's flow picture renders in headless Chromium with legible text, and a broken copy does not", async () => {
    const blocks = mermaidBlocks(readme);
    assert.equal(blocks.length, 1, "the README holds one picture, the flow");
    assert.ok(renderedPages().includes("README.md"), "npm run diagrams:render renders the README");
    // The real picture with one node's closing bracket removed.
    const broken = blocks[0].replace(/^(\s+pr\["Pull request")\]/m, "$1");
    assert.notEqual(broken, blocks[0], "the flow has the line the broken copy changes");
    const [flow, bad] = await renderInChromium([blocks[0], broken]);
    assert.equal(flow.ok, true, flow.error);
    assert.ok(flow.textPx! >= 12, `the flow's text is ${flow.textPx} px in an 832 px column`);
    assert.ok(flow.width! <= 800, `the flow is ${flow.width} px wide`);
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /Parse error on line \d+/);
});

test("namedScripts: the npm scripts a text names, in order of first mention, once each", () => {
    const table: [string, string[]][] = [
        ["run `npm run plan -- --stack x`, then npm run -s lint and npm run plan again", ["plan", "lint"]],
        ['promote["npm run promote<br/>+ a reviewer"]', ["promote"]],
        ["npm run bench:plan; npm run diagrams:render", ["bench:plan", "diagrams:render"]],
        ["npm test and npm ci name no script", []],
    ];
    for (const [text, want] of table) assert.deepEqual(namedScripts(text), want, text);
});

test("CI runs the README's fresh-machine block as written, and every npm script the README names", () => {
    const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    // The block CI extracts (its own awk line, run here) is the block the README shows.
    const extract = ci.match(/^readme_block=\$\((.*)\)$/m);
    assert.ok(extract, ".ci/run extracts the README's block");
    const block = execFileSync("bash", ["-c", extract[1]], { cwd: ROOT, encoding: "utf8" }).trim();
    assert.equal(block, freshMachineBlock(readme).trim());
    assert.match(block, /^npm ci && npm test$/m);
    assert.match(ci, /^bash -euo pipefail -c "\$readme_block"$/m, "CI runs the block");
    // What CI executes: its command lines, not its comments or the headings it echoes.
    const commands = (text: string) =>
        text
            .split("\n")
            .filter((l) => !/^\s*(#|echo )/.test(l))
            .join("\n");
    const ciRuns = (ciText: string) => namedScripts(`${commands(ciText)}\n${block}`);
    const missing = (ciText: string) => namedScripts(readme).filter((s) => !ciRuns(ciText).includes(s));
    assert.deepEqual(missing(ci), []);
    // The same CI without its promotion step misses the README's first command.
    const withoutPromote = ci
        .split("\n")
        .filter((l) => !/npm run -s promote/.test(l))
        .join("\n");
    assert.deepEqual(missing(withoutPromote), ["promote"]);
});
