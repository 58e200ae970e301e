/**
 * A Lambda handler written in this repo's TypeScript, bundled by the program itself: esbuild
 * (already a dependency) resolves its imports into one CommonJS file, and the result becomes the
 * function's `code` archive. The output is deterministic (no timestamps, no absolute paths in
 * the code), so an unchanged handler keeps the same archive hash and `pulumi up` leaves the
 * function alone.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export interface BundleArgs {
    /** The handler's entry file, absolute or relative to the project root, e.g. `lambda/smoke-hook/index.ts`. */
    entry: string;
    /** File name inside the archive; the function's `handler` is `<name without .js>.handler`. @default "index.js" */
    fileName?: string;
    /** Node major the code targets (Lambda's runtime). @default "node20" */
    target?: string;
}

/** The project root: the directory above components/. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Bundle a handler to one CommonJS file; returns its code. Throws naming the entry on a build error. */
export function bundleHandler(args: BundleArgs): string {
    const esbuild = require("esbuild") as typeof import("esbuild");
    const entry = path.isAbsolute(args.entry) ? args.entry : path.join(PROJECT_ROOT, args.entry);
    let result: import("esbuild").BuildResult;
    try {
        result = esbuild.buildSync({
            entryPoints: [entry],
            bundle: true,
            write: false,
            platform: "node",
            format: "cjs",
            target: args.target ?? "node20",
            // The runtime provides the AWS SDK; nothing here needs it bundled.
            external: ["@aws-sdk/*"],
            // Relative paths in the bundle's comments, so the archive is the same on every machine.
            absWorkingDir: PROJECT_ROOT,
            legalComments: "none",
            logLevel: "silent",
        });
    } catch (e) {
        throw new Error(
            `cannot bundle the Lambda handler ${args.entry}: ${e instanceof Error ? e.message : e}`,
        );
    }
    const file = result.outputFiles?.[0];
    if (!file) throw new Error(`cannot bundle the Lambda handler ${args.entry}: esbuild produced no output`);
    return file.text;
}

/** The handler as an archive for `aws.lambda.Function`'s `code`. */
export function bundleArchive(args: BundleArgs): pulumi.asset.AssetArchive {
    return new pulumi.asset.AssetArchive({
        [args.fileName ?? "index.js"]: new pulumi.asset.StringAsset(bundleHandler(args)),
    });
}
