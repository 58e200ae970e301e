/**
 * The failure codes and docs/failures.md agree: every code has its entry (an `## SD-nnn` heading,
 * so GitHub's anchor is `#sd-nnn`) and its index row with the same name, every entry has its
 * code, and each entry says the symptom, the check and the fix.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { cite, FAILURES, FAILURES_PAGE, type FailureCode } from "../components/failures";

const page = fs.readFileSync(path.resolve(__dirname, "..", FAILURES_PAGE), "utf8");

/** The codes of the page's `## SD-nnn` headings, in order. Pure. */
function entryCodes(markdown: string): string[] {
    return [...markdown.matchAll(/^## (SD-\d{3})$/gm)].map((m) => m[1]);
}

/** Code -> name from the page's index table (`| [SD-001](#sd-001) | name |`). Pure. */
function indexRows(markdown: string): Record<string, string> {
    return Object.fromEntries(
        [...markdown.matchAll(/^\| \[(SD-\d{3})\]\(#(sd-\d{3})\) \| (.+) \|$/gm)]
            .filter((m) => m[1].toLowerCase() === m[2])
            .map((m) => [m[1], m[3]]),
    );
}

test("the entry finders read headings and index rows, and miss a wrong anchor or a titled heading", () => {
    const md = [
        "| [SD-001](#sd-001) | one |",
        "| [SD-002](#sd-003) | wrong anchor |",
        "## SD-001",
        "## SD-002: titled, so its anchor is not #sd-002",
        "### SD-003",
    ].join("\n");
    assert.deepEqual(entryCodes(md), ["SD-001"]);
    assert.deepEqual(indexRows(md), { "SD-001": "one" });
});

test("every code in components/failures.ts has its entry and index row in docs/failures.md, and back", () => {
    const codes = Object.keys(FAILURES).sort();
    assert.deepEqual(entryCodes(page), codes, "## SD-nnn headings, in code order");
    assert.deepEqual(indexRows(page), FAILURES);
    for (const code of codes) assert.match(code, /^SD-\d{3}$/);
});

test("each entry names the symptom, the check that stops it and the fix", () => {
    const entries = page.split(/^## /m).slice(1);
    for (const entry of entries) {
        const code = entry.split("\n")[0];
        for (const part of ["**Symptom:**", "**Stopped by:**", "**Fix:**"])
            assert.ok(entry.includes(part), `${code} has ${part}`);
    }
});

test("cite puts the code in front and the entry's link behind", () => {
    const table: [FailureCode, string, string][] = [
        ["SD-012", "x opens 5432", "SD-012: x opens 5432 (see docs/failures.md#sd-012)"],
        ["SD-001", "a.", "SD-001: a. (see docs/failures.md#sd-001)"],
    ];
    for (const [code, message, expected] of table) assert.equal(cite(code, message), expected);
});
