/**
 * One picture per target of how a request travels and what protects it, drawn from the offline
 * graph (`runOffline` over a committed stack) by grouping resources into components:
 * `npm run diagrams` writes them into docs/architecture.md; `npm run plan -- --mermaid` still
 * prints the full resource graph.
 *
 * - A component stands for the resources its `match` selects (by type and logical name). It is
 *   drawn only when at least one resource matches, and its label is read from those resources
 *   (ports, health check paths, counts), never from a secret: inputs are redacted first.
 *   An `external` component (the user, an existing database) has no resource of its own and is
 *   drawn when a component it links to is.
 * - A link is drawn only when the graph backs it: a resource of one end depends on a resource of
 *   the other (either way: a dependency points against the request), or both ends hold the same
 *   resource, or, with `via`, both ends are linked to that component. So an arrow that the program
 *   stops wiring disappears from the picture.
 * - `request` links are the way a request travels (solid arrows, in the request's direction);
 *   `guard` links are what protects or watches it (dotted arrows with a label).
 * - Every resource of the graph must belong to some component (`unplaced` lists the others), so
 *   a resource the program adds cannot go missing from the picture unnoticed.
 *
 * The parts: architecture/model.ts (components, links, the shared matchers), one file per
 * target's picture (architecture/aws.ts, gcp.ts, vm.ts), architecture/draw.ts (the drawing).
 */
import * as path from "node:path";
import { AWS } from "./architecture/aws";
import { architectureOf, graphOf } from "./architecture/draw";
import { GCP } from "./architecture/gcp";
import type { Picture, Target } from "./architecture/model";
import { VM } from "./architecture/vm";

export { AWS } from "./architecture/aws";
export { architectureOf, graphOf } from "./architecture/draw";
export { GCP } from "./architecture/gcp";
export type { ArchResource, Architecture, Component, Link, Picture, Target } from "./architecture/model";
export { VM } from "./architecture/vm";

export const PICTURES: Record<Target, Picture> = { aws: AWS, gcp: GCP, vm: VM };

/**
 * `node --require ./scripts/register.js scripts/architecture.ts <target> [--graph] [--config <file>]`:
 * the picture of a target from its stack (one offline run per process), or with `--graph` the
 * graph it reads, as JSON, for tests that change one field of the real output.
 */
async function main(argv: string[]): Promise<number> {
    const target = argv[0] as Target;
    const picture = PICTURES[target];
    const configAt = argv.indexOf("--config");
    if (!picture || (configAt >= 0 && !argv[configAt + 1])) {
        process.stderr.write("usage: architecture.ts aws|gcp|vm [--graph] [--config <file>]\n");
        return 2;
    }
    // Loaded here, not at the top: the pure part must not start the Pulumi runtime in a test.
    const { runOffline, redact } = require("./offline") as typeof import("./offline");
    const result = await runOffline({
        stack: picture.stack,
        configFile: configAt >= 0 ? path.resolve(argv[configAt + 1]) : undefined,
    });
    if (result.error) {
        process.stderr.write(`${result.error.message}\n`);
        return 1;
    }
    const graph = graphOf(result, redact);
    process.stdout.write(
        argv.includes("--graph") ? `${JSON.stringify(graph)}\n` : architectureOf(graph, picture).text,
    );
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`architecture: ${e?.stack ?? e}\n`);
            process.exit(1);
        },
    );
}
