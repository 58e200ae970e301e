/**
 * AWS conformance: each AWS resource of the offline graph is mapped to the API request(s) the
 * provider sends for it (RegisterTaskDefinition, CreateService, PutMetricAlarm, ...), and each
 * request is checked against AWS's own service models: required members, enums, min/max
 * (length, count or value), string patterns, plus the cross-field rules AWS documents in the
 * same models' text (Fargate cpu/memory pairs, metric math ids and periods), and ECR's documented lifecycle
 * policy rules.
 *
 * Source of truth: botocore's `data/<service>/<version>/service-2.json` (Apache-2.0), recorded in
 * `rules/aws-botocore.json` by `extract-aws.py` with the botocore version it read (1.43.11 at
 * the time of writing). Only the extract is read here, so a machine without botocore runs it.
 *
 * Patterns are matched against the whole value. The models' patterns are Smithy/Java patterns
 * that AWS's validators apply as a full match (e.g. ECS's TagValue `([\p{L}\p{Z}\p{N}_.:/=+\-@]*)`
 * has no anchors, yet RegisterTaskDefinition refuses a comma in a tag value).
 *
 * The pieces, one file per concern: `aws-model.ts` (the recorded models and the generic shape
 * check), `aws-cross-field.ts` (documented cross-field rules), `aws-requests.ts` and
 * `aws-map-*.ts` (resource -> request), `aws-ecr-lifecycle.ts` (ECR's lifecycle policy document).
 * This file is the entry point: it joins them into the checker.
 *
 * The mapping from a Pulumi resource to its request follows the provider's create calls
 * (pulumi-aws bridges terraform-provider-aws: internal/service/<service>/<resource>.go). Only the
 * members the program sets are mapped; a value the engine does not know offline is skipped.
 */
import { isSecretValue, type RecordedResource } from "../offline";
import type { Checker, Finding } from "./index";
import { type AwsRules, awsRules, validateShape, type Violation } from "./aws-model";
import { fargateSizeViolations, metricAlarmViolations } from "./aws-cross-field";
import { lifecyclePolicyViolations } from "./aws-ecr-lifecycle";
import type { ApiRequest, Inputs } from "./aws-requests";
import { COMPUTE_MAPPERS } from "./aws-map-compute";
import { NETWORK_MAPPERS } from "./aws-map-network";
import { STORAGE_MAPPERS } from "./aws-map-storage";

export {
    type AwsRules,
    awsRules,
    modelPattern,
    RULES_FILE,
    type Shape,
    validateShape,
    type Violation,
} from "./aws-model";
export { FARGATE_SIZES, fargateSizeViolations, METRIC_ID, metricAlarmViolations } from "./aws-cross-field";
export type { ApiRequest } from "./aws-requests";

const MAPPERS = { ...COMPUTE_MAPPERS, ...STORAGE_MAPPERS, ...NETWORK_MAPPERS };

/** Other rules on values the provider sends later (delete, replace) that the models constrain. */
function extraRules(r: RecordedResource, i: Inputs, out: Violation[]): void {
    if (r.type === "aws:rds/instance:Instance" && i.finalSnapshotIdentifier !== undefined) {
        // DeleteDBInstance.FinalDBSnapshotIdentifier: "1 to 255 letters, numbers, or hyphens;
        // first character a letter; no two consecutive hyphens; not ending with a hyphen" (RDS API
        // reference); the model carries no pattern for it, so the documented rule is encoded.
        const v = String(i.finalSnapshotIdentifier);
        if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}$/.test(v) || v.endsWith("-"))
            out.push({
                field: "FinalDBSnapshotIdentifier",
                value: v,
                rule: "rds DeleteDBInstance: 1-255 letters, digits or hyphens, starting with a letter, no '--', not ending with '-'",
            });
    }
}

/** The API request(s) the provider sends to create a resource; [] for a type the checker does not map. */
export function requestsOf(r: RecordedResource): ApiRequest[] {
    const mapper = MAPPERS[r.type];
    return mapper ? mapper(r, unwrapInputs(r.inputs)) : [];
}

function unwrapInputs(v: unknown): any {
    if (isSecretValue(v)) return unwrapInputs(v.value);
    if (Array.isArray(v)) return v.map(unwrapInputs);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapInputs(x)]));
    return v;
}

/** Every violation of one request: the model's constraints, then the documented cross-field rules. Pure. */
export function checkRequest(req: ApiRequest, rules: AwsRules = awsRules()): Violation[] {
    const out: Violation[] = [];
    const svc = rules.services[req.service];
    const input = svc?.operations[req.operation];
    if (!input)
        return [
            {
                field: "",
                value: req.operation,
                rule: `no recorded model for ${req.service} ${req.operation}`,
            },
        ];
    validateShape(req.service, input, req.request, "", out, rules);
    if (req.operation === "RegisterTaskDefinition") out.push(...fargateSizeViolations(req.request));
    if (req.operation === "PutMetricAlarm") out.push(...metricAlarmViolations(req.request));
    if (req.operation === "PutLifecyclePolicy" && req.request.lifecyclePolicyText !== undefined)
        out.push(...lifecyclePolicyViolations(req.request.lifecyclePolicyText));
    return out;
}

/** Paths inside a request whose values are secret, so a finding never prints them. */
const SECRET_FIELDS = /^(MasterUserPassword|SecretString)$/;

export const awsChecker: Checker = (resources) => {
    const rules = awsRules();
    const findings: Finding[] = [];
    for (const r of resources) {
        if (!r.type.startsWith("aws:")) continue;
        const violations: [string, Violation][] = [];
        for (const req of requestsOf(r))
            for (const v of checkRequest(req, rules)) violations.push([req.operation, v]);
        const extra: Violation[] = [];
        extraRules(r, unwrapInputs(r.inputs), extra);
        for (const v of extra) violations.push(["DeleteDBInstance", v]);
        for (const [operation, v] of violations)
            findings.push({
                cloud: "AWS",
                urn: r.urn,
                type: r.type,
                operation,
                field: v.field,
                value: SECRET_FIELDS.test(v.field) ? "[secret]" : v.value,
                // A rule read from AWS's docs cites its page; one from the models, the botocore version.
                rule: /docs\.aws\.amazon\.com/.test(v.rule)
                    ? v.rule
                    : `${v.rule} (botocore ${rules.botocore})`,
            });
    }
    return findings;
};
