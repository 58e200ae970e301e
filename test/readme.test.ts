/** The README stays true: its config reference lists exactly the schema's keys, its commands exist. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaKeyPaths } from "../components/config";

const ROOT = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

test("the README's config reference lists exactly the keys the schema accepts", () => {
    const section = readme.split("### Config reference")[1].split("\n## ")[0];
    const documented = section
        .split("\n")
        .map((l) => /^\| `([^`]+)` \|/.exec(l)?.[1])
        .filter((k): k is string => !!k)
        .sort();
    assert.deepEqual(documented, schemaKeyPaths());
});

test("the README's commands are scripts of package.json, and CI runs the test command", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    for (const [, name] of readme.matchAll(/npm run ([a-z:-]+)/g))
        assert.ok(scripts[name], `npm run ${name} exists`);
    assert.match(readme, /npm ci && npm test/);
    assert.match(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8"), /^npm test$/m);
});
