/**
 * `npm run diagrams [-- --check]`: the README's architecture diagrams, one per committed stack
 * (every Pulumi.<stack>.yaml), regenerated from the offline plan. Each stack's diagram is exactly
 * what `npm run plan -- --stack <name> --mermaid` prints, fenced as ```mermaid between
 * `<!-- diagram:<stack>:begin -->` and `<!-- diagram:<stack>:end -->` under "## Architecture
 * diagrams". A missing stack is appended to the section; a block for a stack that no longer has a
 * stack file is removed. `--check` writes nothing and exits 1 naming the stale stacks.
 * Exit codes: 0 written or up to date; 1 stale (with --check), or a plan failed; 2 bad arguments
 * or no such section in the README.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./offline";
import { knownStacks, runPlan } from "./plan-process";

export const README = path.join(ROOT, "README.md");
export const SECTION = "## Architecture diagrams";

const begin = (stack: string) => `<!-- diagram:${stack}:begin -->`;
const end = (stack: string) => `<!-- diagram:${stack}:end -->`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Any stack's block, its name captured. Stack names are slugs: no "-->" or ":" inside. */
const ANY_BLOCK = /<!-- diagram:([^:\s]+):begin -->\n[\s\S]*?<!-- diagram:\1:end -->\n?/g;

/** The text between a stack's markers: a heading and the fenced diagram. */
export function block(stack: string, diagram: string): string {
    return `${begin(stack)}\n### ${stack}\n\n\`\`\`mermaid\n${diagram.endsWith("\n") ? diagram : `${diagram}\n`}\`\`\`\n${end(stack)}\n`;
}

/** The diagram embedded for `stack` (the fence's content), or undefined when there is none. */
export function embeddedDiagram(readme: string, stack: string): string | undefined {
    const m = new RegExp(
        `${escapeRegExp(begin(stack))}\\n[\\s\\S]*?\`\`\`mermaid\\n([\\s\\S]*?)\`\`\`\\n${escapeRegExp(end(stack))}`,
    ).exec(readme);
    return m?.[1];
}

/** Where the section's body starts and ends in the README. */
function sectionBounds(readme: string): { start: number; end: number } {
    const at = readme.indexOf(`\n${SECTION}\n`);
    if (at < 0) throw new Error(`README.md has no "${SECTION}" section`);
    const start = at + SECTION.length + 2;
    const next = readme.indexOf("\n## ", start);
    return { start, end: next < 0 ? readme.length : next + 1 };
}

/**
 * The README with every stack's block up to date, and the stacks whose block changed (added,
 * replaced, or removed because the stack is gone). Pure: the caller decides whether to write.
 */
export function embed(readme: string, diagrams: Record<string, string>): { text: string; stale: string[] } {
    const { start, end: stop } = sectionBounds(readme);
    let body = readme.slice(start, stop);
    const stale = new Set<string>();
    body = body.replace(ANY_BLOCK, (whole, stack: string) => {
        if (diagrams[stack] === undefined) {
            stale.add(stack);
            return "";
        }
        const fresh = block(stack, diagrams[stack]);
        if (whole.replace(/\n?$/, "\n") !== fresh) stale.add(stack);
        return fresh;
    });
    for (const stack of Object.keys(diagrams)) {
        if (body.includes(begin(stack))) continue;
        stale.add(stack);
        body = `${body.replace(/\n*$/, "\n\n") + block(stack, diagrams[stack])}\n`;
    }
    // A removed block leaves its blank lines behind; the section ends with one blank line.
    body = body.replace(/\n{3,}/g, "\n\n").replace(/\n*$/, "\n\n");
    return { text: readme.slice(0, start) + body + readme.slice(stop), stale: [...stale].sort() };
}

/** `npm run plan -- --stack <stack> --mermaid`'s output, in a child process (one run per process). */
export async function planDiagram(stack: string): Promise<string> {
    const { code, stdout, stderr } = await runPlan(["--stack", stack, "--mermaid"]);
    // Exit 1 with a diagram is a policy verdict: the diagram is still the stack's.
    if (code === 0 || (code === 1 && stdout.startsWith("flowchart "))) return stdout;
    throw new Error(`plan of stack ${stack} exited ${code}:\n${stderr}`);
}

async function main(argv: string[]): Promise<number> {
    const unknown = argv.filter((a) => a !== "--check");
    if (unknown.length > 0) {
        process.stderr.write(
            `diagrams: unknown argument ${unknown[0]}\nusage: npm run diagrams [-- --check]\n`,
        );
        return 2;
    }
    const check = argv.includes("--check");
    const stacks = knownStacks();
    const texts = await Promise.all(stacks.map(planDiagram));
    const readme = fs.readFileSync(README, "utf8");
    let result: { text: string; stale: string[] };
    try {
        result = embed(readme, Object.fromEntries(stacks.map((s, i) => [s, texts[i]])));
    } catch (e) {
        process.stderr.write(`diagrams: ${(e as Error).message}\n`);
        return 2;
    }
    if (check) {
        if (result.stale.length > 0 || result.text !== readme) {
            process.stderr.write(
                `README.md: the architecture diagrams of ${result.stale.join(", ") || "(layout)"} are out of date with the offline plan; run: npm run diagrams\n`,
            );
            return 1;
        }
        process.stdout.write(`README.md: the diagrams of ${stacks.join(", ")} are up to date\n`);
        return 0;
    }
    if (result.text !== readme) fs.writeFileSync(README, result.text);
    process.stdout.write(
        result.stale.length > 0
            ? `README.md: updated the diagrams of ${result.stale.join(", ")}\n`
            : `README.md: the diagrams of ${stacks.join(", ")} are up to date\n`,
    );
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`diagrams: ${e?.message ?? e}\n`);
            process.exit(1);
        },
    );
}
