/**
 * `npm run diagrams [-- --check]`: the diagrams generated from the offline plan, in two documents.
 *
 * - docs/resource-graphs.md, under "## Resource graphs": one full resource graph per committed
 *   stack (every Pulumi.<stack>.yaml), exactly what `npm run plan -- --stack <name> --mermaid` prints.
 * - docs/architecture.md, under "## How a request travels": one component picture per target
 *   (scripts/architecture.ts), of the stack that target's picture is drawn from.
 *
 * Each diagram is fenced as ```mermaid between `<!-- diagram:<key>:begin -->` and
 * `<!-- diagram:<key>:end -->` under its section's heading. A missing key is appended to the
 * section; a block whose key is gone is removed; text between blocks is kept. `--check` writes
 * nothing and exits 1 naming the stale diagrams of each document.
 * Exit codes: 0 written or up to date; 1 stale (with --check), or a plan failed; 2 bad arguments
 * or no such section in a document.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./offline";
import { PICTURES, type Target } from "./architecture";
import { knownStacks, runPlan } from "./plan-process";

export const RESOURCE_GRAPHS = path.join(ROOT, "docs", "resource-graphs.md");
export const SECTION = "## Resource graphs";
export const ARCHITECTURE = path.join(ROOT, "docs", "architecture.md");
export const ARCHITECTURE_SECTION = "## How a request travels";

const begin = (stack: string) => `<!-- diagram:${stack}:begin -->`;
const end = (stack: string) => `<!-- diagram:${stack}:end -->`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Any stack's block, its name captured. Stack names are slugs: no "-->" or ":" inside. */
const ANY_BLOCK = /<!-- diagram:([^:\s]+):begin -->\n[\s\S]*?<!-- diagram:\1:end -->\n?/g;

/** The text between a key's markers: a heading (the key unless given) and the fenced diagram. */
export function block(stack: string, diagram: string, heading = stack): string {
    return `${begin(stack)}\n### ${heading}\n\n\`\`\`mermaid\n${diagram.endsWith("\n") ? diagram : `${diagram}\n`}\`\`\`\n${end(stack)}\n`;
}

/** The diagram embedded for `stack` (the fence's content), or undefined when there is none. */
export function embeddedDiagram(readme: string, stack: string): string | undefined {
    const m = new RegExp(
        `${escapeRegExp(begin(stack))}\\n[\\s\\S]*?\`\`\`mermaid\\n([\\s\\S]*?)\`\`\`\\n${escapeRegExp(end(stack))}`,
    ).exec(readme);
    return m?.[1];
}

/** Where a document's diagrams go: its section, and each key's heading. */
export interface Placement {
    /** Shown in messages. @default "docs/resource-graphs.md" */
    file?: string;
    /** @default SECTION */
    section?: string;
    /** Heading per key. @default the key */
    headings?: Record<string, string>;
}

/** Where the section's body starts and ends in the document. */
function sectionBounds(readme: string, file: string, section: string): { start: number; end: number } {
    const at = readme.indexOf(`\n${section}\n`);
    if (at < 0) throw new Error(`${file} has no "${section}" section`);
    const start = at + section.length + 2;
    const next = readme.indexOf("\n## ", start);
    return { start, end: next < 0 ? readme.length : next + 1 };
}

/**
 * The page with every stack's block up to date, and the stacks whose block changed (added,
 * replaced, or removed because the stack is gone). Pure: the caller decides whether to write.
 */
export function embed(
    readme: string,
    diagrams: Record<string, string>,
    where: Placement = {},
): { text: string; stale: string[] } {
    const { start, end: stop } = sectionBounds(
        readme,
        where.file ?? "docs/resource-graphs.md",
        where.section ?? SECTION,
    );
    const heading = (key: string) => where.headings?.[key] ?? key;
    let body = readme.slice(start, stop);
    const stale = new Set<string>();
    body = body.replace(ANY_BLOCK, (whole, stack: string) => {
        if (diagrams[stack] === undefined) {
            stale.add(stack);
            return "";
        }
        const fresh = block(stack, diagrams[stack], heading(stack));
        if (whole.replace(/\n?$/, "\n") !== fresh) stale.add(stack);
        return fresh;
    });
    for (const stack of Object.keys(diagrams)) {
        if (body.includes(begin(stack))) continue;
        stale.add(stack);
        body = `${body.replace(/\n*$/, "\n\n") + block(stack, diagrams[stack], heading(stack))}\n`;
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

/** A target's component picture, from its stack, in a child process (one run per process). */
export async function architectureDiagram(target: Target): Promise<string> {
    const { code, stdout, stderr } = await runChild(["scripts/architecture.ts", target]);
    if (code === 0) return stdout;
    throw new Error(`the ${target} picture (stack ${PICTURES[target].stack}) exited ${code}:\n${stderr}`);
}

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, ["--require", path.join(ROOT, "scripts", "register.js"), ...args], {
            cwd: ROOT,
        });
        let stdout = "",
            stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Each target's heading in docs/architecture.md: the title and the stack it is drawn from. */
export function architectureHeadings(): Record<string, string> {
    return Object.fromEntries(
        Object.entries(PICTURES).map(([t, p]) => [t, `${p.title} (drawn from stack \`${p.stack}\`)`]),
    );
}

interface Document {
    file: string;
    diagrams: Record<string, string>;
    where: Placement;
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
    const targets = Object.keys(PICTURES) as Target[];
    const [texts, pictures] = await Promise.all([
        Promise.all(stacks.map(planDiagram)),
        Promise.all(targets.map(architectureDiagram)),
    ]);
    const docs: Document[] = [
        {
            file: RESOURCE_GRAPHS,
            diagrams: Object.fromEntries(stacks.map((s, i) => [s, texts[i]])),
            where: {},
        },
        {
            file: ARCHITECTURE,
            diagrams: Object.fromEntries(targets.map((t, i) => [t, pictures[i]])),
            where: {
                file: "docs/architecture.md",
                section: ARCHITECTURE_SECTION,
                headings: architectureHeadings(),
            },
        },
    ];
    let code = 0;
    for (const doc of docs) {
        const name = path.relative(ROOT, doc.file);
        const before = fs.readFileSync(doc.file, "utf8");
        let result: { text: string; stale: string[] };
        try {
            result = embed(before, doc.diagrams, doc.where);
        } catch (e) {
            process.stderr.write(`diagrams: ${(e as Error).message}\n`);
            return 2;
        }
        const keys = Object.keys(doc.diagrams).join(", ");
        if (check) {
            if (result.stale.length > 0 || result.text !== before) {
                process.stderr.write(
                    `${name}: the diagrams of ${result.stale.join(", ") || "(layout)"} are out of date with the offline plan; run: npm run diagrams\n`,
                );
                code = 1;
            } else process.stdout.write(`${name}: the diagrams of ${keys} are up to date\n`);
            continue;
        }
        if (result.text !== before) fs.writeFileSync(doc.file, result.text);
        process.stdout.write(
            result.stale.length > 0
                ? `${name}: updated the diagrams of ${result.stale.join(", ")}\n`
                : `${name}: the diagrams of ${keys} are up to date\n`,
        );
    }
    return code;
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
