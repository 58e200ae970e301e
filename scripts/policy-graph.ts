/**
 * Prints a committed stack's policy graph as JSON: the program run under mocks (scripts/offline.ts)
 * and its resources as the policy engine sees them. The policy fixtures read it (one child process
 * per stack: the Pulumi runtime under mocks is process-global).
 *
 *   node --require scripts/register.js scripts/policy-graph.ts <stack>
 */
import { policyGraph, runOffline } from "./offline";

const stack = process.argv[2];
if (!stack) {
    process.stderr.write("usage: policy-graph.ts <stack>\n");
    process.exit(2);
}
runOffline({ stack }).then(
    (r) => {
        if (r.error) {
            process.stderr.write(`${r.error.message}\n`);
            process.exit(1);
        }
        process.stdout.write(JSON.stringify(policyGraph(r)));
        process.exit(0);
    },
    (e) => {
        process.stderr.write(`${e?.stack ?? e}\n`);
        process.exit(1);
    },
);
