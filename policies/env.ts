/**
 * Env: every variable the app's contract reads is set on every target (SD-006: the app reads
 * DATABASE_URL, the infrastructure sets DATABASE_HOST/NAME/USER/PASSWORD), and no secret is set in
 * plain text (SD-007, SD-008: a database URL, password included, in plain env or on a command line).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cite } from "../components/failures";
import { ofType, ofTypes, type PolicyOptions } from "./common";
import {
    CLOUD_RUN_PROVIDED,
    WORKLOAD_TYPES,
    declarationFindings,
    contractsSchema,
    credentialLike,
    nearMiss,
    schemaOf,
    vmWorkloads,
    workloadsOf,
    contractsOf,
    type ServiceContract,
} from "./lib";

export function envContractComplete(
    name = "env-contract-complete",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description:
            "Every env var in the app's contract is set on every target, as plain env or a secret reference, and never empty.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({ contracts: contractsSchema }),
        validateResource: ofTypes(Object.values(WORKLOAD_TYPES), (props, args, report) => {
            const contracts = contractsOf(args);
            if (Object.keys(contracts).length === 0)
                return args.notApplicable("no service contracts in the policy config");
            for (const w of workloadsOf(args.type, props)) {
                const contract = contracts[w.service];
                if (!contract) continue;
                const present = [...Object.keys(w.plain), ...w.secretRefs];
                if (contract.reads) {
                    // The app's own declaration: what it reads, not what the stack happens to set.
                    const provided = args.type === WORKLOAD_TYPES.cloudRun ? CLOUD_RUN_PROVIDED : [];
                    for (const v of Object.keys(contract.reads).sort()) {
                        if (contract.reads[v].optional || provided.includes(v as never)) continue;
                        if (w.plain[v] === "")
                            report(
                                `${w.target} "${args.name}": service "${w.service}" reads ${v}, which is set to an empty value.`,
                            );
                    }
                    for (const f of declarationFindings(
                        contract.reads,
                        { plain: Object.keys(w.plain), secret: w.secretRefs },
                        provided,
                    )) {
                        if (f.kind !== "missing") continue;
                        report(
                            `${w.target} "${args.name}": service "${w.service}" reads ${f.variable} (the app's env declaration), which this target does not set${f.hint ? `; ${f.hint}` : ""}${f.hint?.endsWith("?") ? "" : "."}`,
                        );
                    }
                    continue;
                }
                for (const v of Object.keys(contract.env).sort()) {
                    if (w.secretRefs.includes(v)) continue;
                    if (v in w.plain) {
                        if (w.plain[v] === "")
                            report(
                                cite(
                                    "SD-006",
                                    `${w.target} "${args.name}": service "${w.service}" reads ${v}, which is set to an empty value.`,
                                ),
                            );
                        continue;
                    }
                    const hint = nearMiss(v, present);
                    report(
                        cite(
                            "SD-006",
                            `${w.target} "${args.name}": service "${w.service}" reads ${v}, which this target does not set${hint ? `; ${hint}` : ""}${hint?.endsWith("?") ? "" : "."}`,
                        ),
                    );
                }
            }
        }),
    };
}

const SECRET_CARRIERS = ["stdin", "environment"];

/** A variable is secret when the stack delivers it as one or the app declares it one. */
const isSecretIn = (c: ServiceContract | undefined, v: string) =>
    c?.env[v] === "secret" || c?.reads?.[v]?.secret === true;

export function noPlaintextSecrets(
    name = "no-plaintext-secrets",
    opts: PolicyOptions = {},
): ResourceValidationPolicy {
    return {
        name,
        description:
            "No secret in plain env: neither a variable the contract marks secret nor a value that looks like a credential; remote commands that handle secrets do not log them.",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: schemaOf({ contracts: contractsSchema }),
        validateResource: [
            ofTypes([WORKLOAD_TYPES.ecs, WORKLOAD_TYPES.cloudRun], (props, args, report) => {
                const contracts = contractsOf(args);
                for (const w of workloadsOf(args.type, props)) {
                    const where = args.type === WORKLOAD_TYPES.ecs ? "environment" : "envs[].value";
                    const how =
                        args.type === WORKLOAD_TYPES.ecs
                            ? "secrets[].valueFrom (Secrets Manager)"
                            : "envs[].valueSource.secretKeyRef (Secret Manager)";
                    for (const [v, value] of Object.entries(w.plain).sort()) {
                        if (isSecretIn(contracts[w.service], v)) {
                            report(
                                cite(
                                    "SD-007",
                                    `${w.target} "${args.name}": ${v} is a secret in the contract of "${w.service}" but is set in plain ${where}; deliver it through ${how}.`,
                                ),
                            );
                            continue;
                        }
                        const why = credentialLike(v, value);
                        if (why)
                            report(
                                cite(
                                    "SD-007",
                                    `${w.target} "${args.name}": plain env ${v} of "${w.service}" looks like a credential (${why}); deliver it through ${how}.`,
                                ),
                            );
                    }
                }
            }),
            ofType(WORKLOAD_TYPES.vm, (props, args, report) => {
                const contracts = contractsOf(args);
                const text = [
                    props.create,
                    props.update,
                    props.delete,
                    ...Object.entries(props.environment ?? {}).map(([k, v]) => `${k}=${v}`),
                ]
                    .filter((x) => typeof x === "string")
                    .join("\n");
                for (const w of vmWorkloads(props)) {
                    for (const v of Object.keys(w.plain)) {
                        if (isSecretIn(contracts[w.service], v))
                            report(
                                cite(
                                    "SD-007",
                                    `VM deploy "${args.name}": ${v} is a secret in the contract of "${w.service}" but is passed as plain env; list it with --env-secret so it travels only in the 0600 env file.`,
                                ),
                            );
                    }
                }
                for (const m of text.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)) {
                    const why = credentialLike(m[1], m[2]);
                    if (why)
                        report(
                            cite(
                                "SD-008",
                                `remote.Command "${args.name}": ${m[1]} on the command line looks like a credential (${why}); put it in a 0600 env file copied with remote.CopyToRemote.`,
                            ),
                        );
                }
                for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@\S*/gi)) {
                    report(
                        cite(
                            "SD-008",
                            `remote.Command "${args.name}": the command line holds a URL with user:password@ (${m[0].replace(/:[^/:@]+@/, ":***@")}); pass it through the env file.`,
                        ),
                    );
                }
                const handlesSecrets =
                    SECRET_CARRIERS.some(
                        (k) => props[k] !== undefined && Object.keys(props[k] ?? {}).length !== 0,
                    ) || vmWorkloads(props).length > 0; // a deploy command reads the env file
                if (handlesSecrets) {
                    const logging = props.logging ?? "stdoutAndStderr";
                    if (logging !== "none" && logging !== "stderr") {
                        report(
                            cite(
                                "SD-008",
                                `remote.Command "${args.name}" handles secrets but logs its output (logging: ${logging}); set logging: "stderr" or "none".`,
                            ),
                        );
                    }
                    const aso: string[] = args.opts.additionalSecretOutputs ?? [];
                    const missing = ["stdout", "stderr"].filter((o) => !aso.includes(o));
                    if (missing.length > 0)
                        report(
                            cite(
                                "SD-008",
                                `remote.Command "${args.name}" handles secrets but keeps ${missing.join(" and ")} in plain state; add additionalSecretOutputs: ["stdout", "stderr"].`,
                            ),
                        );
                }
            }),
        ],
    };
}
