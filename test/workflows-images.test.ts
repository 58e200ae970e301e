/**
 * The workflows and images (docs/aws.md#images): every job that builds an image checks out the
 * whole history, and promote.yml copies the promoted digest into production's own repository
 * before production's preview and up. Each check also fails on the real workflow file with one
 * thing changed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { checkBuildCheckouts, checkDigestCopy } from "./workflow-image-checks";
import { parseWorkflowText } from "./workflow-checks";
import { loaded, ROOT } from "./workflow-load";

const text = (file: string) => fs.readFileSync(path.join(ROOT, ".github", "workflows", file), "utf8");

/** The real workflow with `change` applied to its text; still valid for GitHub's parser. */
async function changed(file: string, change: (t: string) => string) {
    const before = text(file);
    const after = change(before);
    assert.notEqual(after, before, "the change applies");
    const wf = await parseWorkflowText(file, after);
    assert.deepEqual(wf.errors, []);
    return wf;
}

/** The lines of the step whose `name:` starts with `name`, up to the next step. */
function stepBlock(t: string, name: string): string {
    const start = t.indexOf(`      - name: ${name}`);
    assert.ok(start >= 0, `step ${name} is in the file`);
    const next = t.slice(start + 1).search(/\n(?: {6}# .*\n)* {6}- /);
    return t.slice(start, start + 1 + next + 1);
}

test("every job that builds an image checks out the whole history (fetch-depth: 0)", async () => {
    const { workflows, repo } = await loaded;
    assert.deepEqual(
        workflows.flatMap((w) => checkBuildCheckouts(w, repo)),
        [],
    );
    // The check has something to hold: staging's up and its preview build.
    const building = repo.stacks.filter((s) => s.builds).map((s) => s.name);
    assert.deepEqual(building, ["staging"]);
});

test("a shallow checkout in staging's up or preview job is reported", async () => {
    const { repo } = await loaded;
    for (const file of ["deploy-staging.yml", "pull-request.yml"]) {
        const wf = await changed(file, (t) => t.replace(/\n {10}fetch-depth: 0\n/, "\n"));
        const problems = checkBuildCheckouts(wf, repo);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            new RegExp(
                `^${file.replace(".", "\\.")} job (up|preview) step 1 \\(actions/checkout\\): the job builds the image of staging from a shallow clone \\(fetch-depth: 0 missing\\)`,
            ),
        );
    }
});

test("promote.yml copies the promoted digests into production's own repositories before its preview and up", async () => {
    const { workflows, repo } = await loaded;
    assert.deepEqual(
        workflows.flatMap((w) => checkDigestCopy(w, repo)),
        [],
    );
    const copy = stepBlock(text("promote.yml"), "Copy the promoted digests");
    assert.match(copy, /run: npm run -s copy-digest -- --from "\$FROM" --to "\$TO" --run\n/);
});

test("a promotion without the digest copy is reported at production's preview and up", async () => {
    const { repo } = await loaded;
    const wf = await changed("promote.yml", (t) => t.replace(stepBlock(t, "Copy the promoted digests"), ""));
    assert.deepEqual(
        checkDigestCopy(wf, repo).map((p) => p.split(":")[0]),
        [
            "promote.yml job promote step 15 (pulumi preview of the production stack (only the digests, and on Cloud Run the traffic list, should change))",
            "promote.yml job deploy step 8 (pulumi up with the policy pack)",
        ],
    );
    assert.match(
        checkDigestCopy(wf, repo)[0],
        /before the promoted digest is copied into its own repository/,
    );
});

test("a digest copy after production's preview is reported", async () => {
    const { repo } = await loaded;
    const wf = await changed("promote.yml", (t) => {
        const copy = stepBlock(t, "Copy the promoted digests");
        const upload = t.indexOf("      - name: Hand the stack file to the deploy job");
        return t.slice(0, upload).replace(copy, "") + copy + t.slice(upload);
    });
    const problems = checkDigestCopy(wf, repo);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^promote\.yml job promote step \d+ \(pulumi preview of the production stack/);
});
