/**
 * Workflows and recorded action.yml files read with GitHub's own parser, @actions/workflow-parser
 * (the one behind the Actions language server): its template and schema errors are kept as the
 * first check; the checks run over the document it parsed.
 */

/** A parsed YAML value; an expression keeps its source text (`policies/config/${{ matrix.stack }}.json`). */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };
export type PlainMap = { [key: string]: Plain };

export interface Workflow {
    /** File name, e.g. `promote.yml`: messages start with it, and promote.yml is the one file allowed to deploy production. */
    file: string;
    /** The parser's template and schema errors, as it words them. */
    errors: string[];
    doc: PlainMap;
}

// ---------------------------------------------------------------------------------------------
// Parsing (GitHub's parser; ESM-only, so loaded with import())

export type Parser = typeof import("@actions/workflow-parser", { with: { "resolution-mode": "import" }});
export type ActionsParser = typeof import("@actions/workflow-parser/actions/index", { with: {
    "resolution-mode": "import",
}});
export type Token = import("@actions/workflow-parser/templates/tokens/template-token", { with: {
    "resolution-mode": "import",
}}).TemplateToken;

let parser: Promise<[Parser, ActionsParser]> | undefined;
export function loadParser(): Promise<[Parser, ActionsParser]> {
    parser ??= Promise.all([
        import("@actions/workflow-parser"),
        import("@actions/workflow-parser/actions/index"),
    ]);
    return parser;
}

/** The token tree as plain values; expressions as their source text. */
export function toPlain(wp: Parser, t: Token): Plain {
    if (wp.isMapping(t)) {
        const out: PlainMap = {};
        for (const { key, value } of t)
            out[wp.isString(key) ? key.value : key.toString()] = toPlain(wp, value);
        return out;
    }
    if (wp.isSequence(t)) {
        const out: Plain[] = [];
        for (let i = 0; i < t.count; i++) out.push(toPlain(wp, t.get(i)));
        return out;
    }
    if (wp.isString(t) || wp.isBoolean(t) || wp.isNumber(t)) return t.value;
    if (wp.isBasicExpression(t)) return t.source ?? `\${{ ${t.expression} }}`;
    if (t.isExpression) return t.toString();
    return null;
}

export function isMap(v: Plain | undefined): v is PlainMap {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses and converts a workflow as GitHub does; every template or schema error is kept. */
export async function parseWorkflowText(file: string, content: string): Promise<Workflow> {
    const [wp] = await loadParser();
    const result = wp.parseWorkflow({ name: file, content }, new wp.NoOperationTraceWriter());
    const errors = result.context.errors.getErrors().map((e) => e.message);
    if (result.value) {
        const template = await wp.convertWorkflowTemplate(result.context, result.value);
        for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
    }
    const doc = result.value ? toPlain(wp, result.value) : {};
    return { file, errors, doc: isMap(doc) ? doc : {} };
}

export interface ActionInput {
    required: boolean;
    default?: string;
}

/** A recorded action.yml (test/fixtures/actions) and where it was recorded from. */
export interface RecordedAction {
    fixture: string;
    repo: string;
    tag: string;
    commit: string;
    recorded: string;
    inputs: Map<string, ActionInput>;
    errors: string[];
}

/** Reads a recorded action.yml: its header (`# source-repo:`, `# source-tag:`, `# source-commit:`, `# recorded:`) and its inputs, with the parser's action schema. */
export async function parseActionFixture(fixture: string, content: string): Promise<RecordedAction> {
    const [wp, ap] = await loadParser();
    const header = (k: string) => new RegExp(`^# ${k}: (\\S+)$`, "m").exec(content)?.[1] ?? "";
    const result = ap.parseAction({ name: fixture, content }, new wp.NoOperationTraceWriter());
    const errors = result.context.errors.getErrors().map((e) => e.message);
    const inputs = new Map<string, ActionInput>();
    if (result.value) {
        const action = ap.convertActionTemplate(result.context, result.value);
        for (const i of action.inputs ?? [])
            inputs.set(i.id, { required: i.required === true, default: i.default?.toString() });
    }
    for (const k of ["source-repo", "source-tag", "source-commit", "recorded"])
        if (!header(k)) errors.push(`${fixture}: no "# ${k}:" header line`);
    return {
        fixture,
        repo: header("source-repo"),
        tag: header("source-tag"),
        commit: header("source-commit"),
        recorded: header("recorded"),
        inputs,
        errors,
    };
}
