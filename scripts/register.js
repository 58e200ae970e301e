// A minimal TypeScript require hook for the offline plan and its benchmark: esbuild strips types
// from the project's own .ts files (cached by content under node_modules/.cache), and everything
// in node_modules loads as plain CommonJS, untouched. tsx hooks every module the process loads
// (about a thousand for @pulumi/pulumi and the providers), which cost more than the plan itself.
// Type checking is `npm run typecheck`'s job, and ts-node's under `pulumi up`.

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "service-deploy-ts");
let esbuild;

require.extensions[".ts"] = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto.createHash("sha256").update(filename).update("\0").update(source).digest("hex");
    const cached = path.join(cacheDir, `${key}.js`);
    let code;
    try {
        code = fs.readFileSync(cached, "utf8");
    } catch {
        esbuild ??= require("esbuild");
        code = esbuild.transformSync(source, {
            loader: "ts",
            format: "cjs",
            target: "node20",
            sourcefile: filename,
            sourcemap: "inline",
        }).code;
        try {
            fs.mkdirSync(cacheDir, { recursive: true });
            fs.writeFileSync(`${cached}.${process.pid}`, code);
            fs.renameSync(`${cached}.${process.pid}`, cached);
        } catch {
            // A read-only tree only loses the cache.
        }
    }
    module._compile(code, filename);
};
