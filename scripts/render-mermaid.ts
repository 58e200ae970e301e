/**
 * Mermaid diagrams rendered the way a reader sees them: in headless Chromium (Debian's
 * /usr/bin/chromium) with the `mermaid` npm package's bundled script (node_modules, no download),
 * in an 832 px column as GitHub's README column is. Each diagram is parsed and rendered; a syntax
 * error comes back as that diagram's error. Nothing leaves the machine: the page is a local file,
 * and Chromium runs with networking features off and a fresh profile.
 *
 * `npm run diagrams:render [-- --out <dir>]`: renders the diagrams a reader is shown (README.md's
 * flow and every docs/*.md page's, but docs/resource-graphs.md's full graphs, which are generated
 * from the plan for whoever wants every resource), prints each one's page, size and text size in
 * px, exits 1 on a syntax error, and with --out writes one PNG per diagram there, named
 * `<page>-<index>.png` (for a person to look at; screenshots are not committed).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./offline";

export const CHROMIUM = "/usr/bin/chromium";
export const MERMAID_JS = path.join(ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js");
/** GitHub's README column, in CSS px. */
export const COLUMN_PX = 832;
/** Mermaid's default font size in the SVG's own units. */
const FONT_PX = 16;

export interface Rendered {
    ok: boolean;
    /** Mermaid's message, when the diagram does not parse or render. */
    error?: string;
    /** Rendered size in the column, CSS px. */
    width?: number;
    height?: number;
    /** The text's size on screen: Mermaid's 16 px scaled to the column. */
    textPx?: number;
}

/** Chromium's flags: headless, no GPU, no network features, a fresh profile. Pure. */
export function chromiumArgs(userDataDir: string, extra: string[]): string[] {
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        `--user-data-dir=${userDataDir}`,
        "--virtual-time-budget=20000",
        ...extra,
    ];
}

/** The page that renders `diagrams` one after another and writes the results as JSON. Pure. */
export function page(diagrams: string[], only?: number): string {
    const script = `
mermaid.initialize({ startOnLoad: false, securityLevel: "strict", flowchart: { useMaxWidth: true } });
(async () => {
  const texts = ${JSON.stringify(diagrams).replace(/</g, "\\u003c")};
  const results = [];
  for (let i = 0; i < texts.length; i++) {
    const box = document.createElement("div");
    box.className = "diagram";
    document.getElementById("diagrams").appendChild(box);
    try {
      await mermaid.parse(texts[i]);
      const { svg } = await mermaid.render("d" + i, texts[i]);
      box.innerHTML = svg;
      const el = box.querySelector("svg");
      const rect = el.getBoundingClientRect();
      const natural = el.viewBox.baseVal.width || rect.width;
      results.push({ ok: true, width: Math.round(rect.width), height: Math.round(rect.height),
        textPx: Math.round((${FONT_PX} * rect.width / natural) * 10) / 10 });
    } catch (e) {
      box.remove();
      results.push({ ok: false, error: String((e && e.message) || e) });
    }
  }
  document.getElementById("result").textContent = JSON.stringify(results);
})();`;
    const shown = only === undefined ? "" : `.diagram:not(:nth-child(${only + 1})) { display: none; }`;
    return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #fff; font-family: sans-serif; }
#diagrams { width: ${COLUMN_PX}px; padding: 16px; box-sizing: border-box; } ${shown}
#result { display: none; }
</style><script src="file://${MERMAID_JS}"></script></head><body>
<div id="diagrams"></div><pre id="result"></pre><script>${script}</script></body></html>`;
}

function chromium(args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(CHROMIUM, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) =>
            err ? reject(new Error(`chromium failed: ${err.message}\n${stderr}`)) : resolve(stdout),
        ),
    );
}

function unescapeHtml(s: string): string {
    return s
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&");
}

/**
 * Renders every diagram in one Chromium run; with `screenshotDir`, one more run per rendered
 * diagram writes `<index>.png` of it alone, cut to its height.
 */
export async function renderInChromium(diagrams: string[], screenshotDir?: string): Promise<Rendered[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-mermaid-"));
    try {
        const html = path.join(dir, "page.html");
        fs.writeFileSync(html, page(diagrams));
        const dom = await chromium(chromiumArgs(path.join(dir, "profile"), ["--dump-dom", `file://${html}`]));
        const m = /<pre id="result">([\s\S]*?)<\/pre>/.exec(dom);
        if (!m?.[1]) throw new Error("chromium: the page wrote no result (did mermaid.min.js load?)");
        const results = JSON.parse(unescapeHtml(m[1])) as Rendered[];
        if (screenshotDir) {
            fs.mkdirSync(screenshotDir, { recursive: true });
            for (const [i, r] of results.entries()) {
                if (!r.ok) continue;
                const one = path.join(dir, `page-${i}.html`);
                fs.writeFileSync(one, page(diagrams, i));
                await chromium(
                    chromiumArgs(path.join(dir, `profile-${i}`), [
                        `--screenshot=${path.resolve(screenshotDir, `${i}.png`)}`,
                        `--window-size=${COLUMN_PX + 32},${(r.height ?? 600) + 48}`,
                        `file://${one}`,
                    ]),
                );
            }
        }
        return results;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The ```mermaid blocks of a Markdown text, in order. Pure. */
export function mermaidBlocks(markdown: string): string[] {
    return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** README.md and the docs/*.md pages holding Mermaid, but the generated full resource graphs. */
export function renderedPages(root = ROOT): string[] {
    const docs = fs
        .readdirSync(path.join(root, "docs"))
        .filter((f) => f.endsWith(".md") && f !== "resource-graphs.md")
        .sort()
        .map((f) => `docs/${f}`);
    return ["README.md", ...docs].filter(
        (f) => mermaidBlocks(fs.readFileSync(path.join(root, f), "utf8")).length > 0,
    );
}

async function main(argv: string[]): Promise<number> {
    const outAt = argv.indexOf("--out");
    const unknown = argv.filter((a, i) => a !== "--out" && i !== outAt + 1);
    if (unknown.length > 0 || (outAt >= 0 && !argv[outAt + 1])) {
        process.stderr.write("usage: npm run diagrams:render [-- --out <dir>]\n");
        return 2;
    }
    const out = outAt >= 0 ? argv[outAt + 1] : undefined;
    let failed = 0;
    for (const page of renderedPages()) {
        const blocks = mermaidBlocks(fs.readFileSync(path.join(ROOT, page), "utf8"));
        const dir = out && fs.mkdtempSync(path.join(os.tmpdir(), "sd-shots-"));
        const results = await renderInChromium(blocks, dir || undefined);
        for (const [i, r] of results.entries()) {
            if (r.ok)
                process.stdout.write(
                    `${page} diagram ${i}: ${r.width}x${r.height} px, text ${r.textPx} px\n`,
                );
            else {
                failed++;
                process.stderr.write(`${page} diagram ${i}: Mermaid cannot render it: ${r.error}\n`);
            }
        }
        if (dir && out) {
            fs.mkdirSync(out, { recursive: true });
            const stem = page.replace(/\.md$/, "").replace(/\//g, "-");
            for (const f of fs.readdirSync(dir))
                fs.renameSync(path.join(dir, f), path.join(out, `${stem}-${f}`));
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
    return failed > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`diagrams:render: ${e?.message ?? e}\n`);
            process.exit(1);
        },
    );
}
