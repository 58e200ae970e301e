/**
 * For `npm run bench:plan`: runs one stack offline, then times the conformance checkers over its
 * graph (median of 5 passes, after one warm-up that loads the recorded models). Prints JSON.
 */
import { runOffline } from "../offline";
import { checkConformance } from "./index";

(async () => {
    const stack = process.argv[2];
    const r = await runOffline({ stack });
    const once = () => {
        const t = process.hrtime.bigint();
        const findings = checkConformance(r.resources);
        return { ms: Number(process.hrtime.bigint() - t) / 1e6, findings: findings.length };
    };
    const first = once();
    const passes = Array.from({ length: 5 }, once)
        .map((x) => x.ms)
        .sort((a, b) => a - b);
    console.log(
        JSON.stringify({
            stack,
            resources: r.resources.length,
            firstMs: first.ms,
            ms: passes[2],
            findings: first.findings,
        }),
    );
})();
