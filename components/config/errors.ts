/** How config problems are reported: each names its full key and the stack file. */
import { PROJECT } from "./common";

export interface ConfigProblem {
    /** Full config key with the project prefix and a path inside it, e.g. `service-deploy:services[0].port`. */
    key: string;
    message: string;
}

export class ConfigError extends Error {
    constructor(
        public readonly file: string,
        public readonly problems: ConfigProblem[],
    ) {
        super(
            `${problems.length} problem${problems.length === 1 ? "" : "s"} in the stack config (${file}); nothing was deployed:\n` +
                problems.map((p) => `  - ${file}: ${p.key}: ${p.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export function keyOf(path: readonly PropertyKey[]): string {
    let out = PROJECT;
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
    });
    return out;
}
