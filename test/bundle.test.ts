import assert from "node:assert/strict";
import Module from "node:module";
import { describe, it } from "node:test";
import { bundleArchive, bundleHandler } from "../components/aws/bundle";

function load(code: string): Record<string, unknown> {
    const m = new Module("bundle.js") as Module & { _compile(code: string, file: string): void };
    m._compile(code, "bundle.js");
    return m.exports as Record<string, unknown>;
}

describe("lambda bundle", () => {
    it("bundles a handler with its imports into one file that runs on its own", () => {
        const code = bundleHandler({ entry: "components/smoke.ts" });
        assert.doesNotMatch(code, /require\(["']\.\.?\//, "no relative require left in the bundle");
        const exported = load(code);
        assert.equal(typeof exported.runSmoke, "function");
        assert.deepEqual((exported.smokePlan as (a: object) => unknown)({}), [
            { path: "/readiness" },
            { path: "/health" },
        ]);
    });

    it("is the same bytes on every build, so an unchanged handler keeps its archive", () => {
        assert.equal(
            bundleHandler({ entry: "components/smoke.ts" }),
            bundleHandler({ entry: "components/smoke.ts" }),
        );
        assert.doesNotMatch(bundleHandler({ entry: "components/smoke.ts" }), /\/work\//);
    });

    it("names the entry when it cannot be bundled", () => {
        assert.throws(
            () => bundleHandler({ entry: "lambda/missing/index.ts" }),
            /lambda\/missing\/index\.ts/,
        );
    });

    it("puts the code under index.js in the archive", async () => {
        const archive = bundleArchive({ entry: "components/smoke.ts" });
        const assets = (await archive.assets) as Record<string, unknown>;
        assert.deepEqual(Object.keys(assets), ["index.js"]);
    });
});
