/**
 * Checks a Markdown page must pass to read well where it is read (GitHub's column) and to stay
 * inside the repository: pure functions over the text, run on README.md and docs/*.md by
 * test/readme.test.ts.
 *
 * - Code lines: no line of a fenced code block is wider than `max` characters (90: GitHub's
 *   README column shows about that many in its monospace font before it scrolls). ```mermaid
 *   blocks are drawn as pictures, not shown as text, so they are not counted.
 * - Links: every relative link (`[text](path)`, `[ref]: path`, `<a href="path">`, `<img src>`)
 *   resolves to a file or directory inside the repository, and an `#anchor` into a Markdown file
 *   names one of its headings. Links with a scheme (https:, mailto:) are left alone.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface WideLine {
    /** 1-based line number in the page. */
    line: number;
    width: number;
    text: string;
}

/** Lines of fenced code blocks (``` or ~~~, not mermaid) wider than `max` characters. Pure. */
export function wideCodeLines(markdown: string, max = 90): WideLine[] {
    const out: WideLine[] = [];
    let fence: { marker: string; counted: boolean } | undefined;
    markdown.split("\n").forEach((text, i) => {
        const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
        if (!fence && open) {
            fence = { marker: open[1], counted: open[2] !== "mermaid" };
            return;
        }
        if (fence && new RegExp(`^ {0,3}${fence.marker[0]}{${fence.marker.length},}\\s*$`).test(text)) {
            fence = undefined;
            return;
        }
        const width = [...text].length;
        if (fence?.counted && width > max) out.push({ line: i + 1, width, text });
    });
    return out;
}

/**
 * The page without fenced blocks, and without inline code unless `keepCode`, so a link in an
 * example is not a link. Pure.
 */
function prose(markdown: string, keepCode = false): string[] {
    let fenced = false;
    return markdown.split("\n").map((l) => {
        if (/^ {0,3}(`{3,}|~{3,})/.test(l)) {
            fenced = !fenced;
            return "";
        }
        return fenced ? "" : keepCode ? l : l.replace(/`+[^`]*`+/g, "");
    });
}

/** Every link target of a page with its line. Pure. */
export function linkTargets(markdown: string): { line: number; target: string }[] {
    const out: { line: number; target: string }[] = [];
    prose(markdown).forEach((l, i) => {
        for (const m of l.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
            out.push({ line: i + 1, target: m[1] });
        for (const m of l.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g))
            out.push({ line: i + 1, target: m[1] });
        for (const m of l.matchAll(/<(?:a|img)\s[^>]*(?:href|src)="([^"]+)"/g))
            out.push({ line: i + 1, target: m[1] });
    });
    // A path up out of the page's folder named in prose or inline code (`../shared/notes.md`) is
    // a reference a reader follows too.
    prose(markdown, true).forEach((l, i) => {
        for (const m of l.matchAll(/(?:^|[\s(`'"])(\.\.\/[^\s`'")]+)/g))
            if (!out.some((o) => o.line === i + 1 && o.target === m[1]))
                out.push({ line: i + 1, target: m[1] });
    });
    return out;
}

/** GitHub's anchors of a page's headings (`## SD-012` -> `sd-012`), duplicates numbered. Pure. */
export function anchors(markdown: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const l of prose(markdown, true)) {
        const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
        if (!h) continue;
        const base = h[1]
            .replace(/<[^>]+>/g, "")
            .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
            .replace(/ /g, "-");
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
}

/**
 * Links of `file` (a path inside `root`) that leave the repository, name a file that does not
 * exist, or an anchor its page does not have; each as `<file>:<line>: <target>: <why>`.
 */
export function badLinks(markdown: string, file: string, root: string): string[] {
    const out: string[] = [];
    const rel = path.relative(root, file);
    for (const { line, target } of linkTargets(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [p, anchor] = target.split("#", 2);
        const resolved = p ? path.resolve(path.dirname(file), decodeURIComponent(p)) : file;
        const where = `${rel}:${line}: ${target}`;
        if (path.relative(root, resolved).startsWith("..") || path.isAbsolute(path.relative(root, resolved)))
            out.push(`${where}: leaves the repository`);
        else if (!fs.existsSync(resolved)) out.push(`${where}: no such file in the repository`);
        else if (
            anchor &&
            resolved.endsWith(".md") &&
            !anchors(fs.readFileSync(resolved, "utf8")).has(anchor)
        )
            out.push(`${where}: ${path.relative(root, resolved)} has no heading #${anchor}`);
    }
    return out;
}

/**
 * The npm scripts a text tells its reader to run (`npm run <script>`, in prose, code or a
 * picture's label), in order of first mention, once each. Pure.
 */
export function namedScripts(text: string): string[] {
    return [...new Set([...text.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)].map((m) => m[1]))];
}

/** The `sh` block under the README's "On a fresh machine" heading (what CI runs as written). Pure. */
export function freshMachineBlock(markdown: string): string {
    const section = markdown.split(/^## On a fresh machine$/m)[1] ?? "";
    return section.split(/^```sh$/m)[1]?.split(/^```$/m)[0] ?? "";
}
