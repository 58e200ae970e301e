/**
 * The size rule of the code base: no source file over 400 lines, so a file stays about one
 * concern a reader can hold (split by concern when one would cross it). Pure functions over
 * paths and texts; test/structure.test.ts runs them on every tracked file.
 *
 * - Source: TypeScript, JavaScript and shell (`.ts`, `.js`, `.mjs`, `.cjs`, `.sh`). Data, stack
 *   files, docs and lockfiles (`.json`, `.yaml`, `.md`, package-lock.json) are not source and are
 *   not counted, nor is a file marked `@generated` in its first five lines (written by a tool).
 * - Lines are counted as `wc -l` counts them: newline characters, plus a last line without one.
 */

/** The most lines a source file may have. */
export const MAX_SOURCE_LINES = 400;

const SOURCE = /\.(ts|js|mjs|cjs|sh)$/;

/** Whether a tracked path is source the size rule covers (by its name). Pure. */
export function isSource(file: string): boolean {
    return SOURCE.test(file) && !file.split("/").includes("node_modules");
}

/** Whether a text says a tool wrote it: `@generated` in one of its first five lines. Pure. */
export function isGenerated(text: string): boolean {
    return text.split("\n", 5).some((line) => line.includes("@generated"));
}

/** Lines of a text as `wc -l` would count them, a last line without a newline included. Pure. */
export function lineCount(text: string): number {
    if (text === "") return 0;
    const newlines = text.split("\n").length - 1;
    return text.endsWith("\n") ? newlines : newlines + 1;
}

export interface Oversized {
    file: string;
    lines: number;
}

/** The source files over `max` lines, longest first; not source or generated is skipped. Pure. */
export function oversized(files: { file: string; text: string }[], max = MAX_SOURCE_LINES): Oversized[] {
    return files
        .filter(({ file, text }) => isSource(file) && !isGenerated(text))
        .map(({ file, text }) => ({ file, lines: lineCount(text) }))
        .filter(({ lines }) => lines > max)
        .sort((a, b) => b.lines - a.lines || (a.file < b.file ? -1 : 1));
}
