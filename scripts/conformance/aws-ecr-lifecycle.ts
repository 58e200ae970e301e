/**
 * ECR's lifecycle policy document: the rules PutLifecyclePolicy applies to `lifecyclePolicyText`
 * beyond the model's length (botocore's ecr model types it as a 100-30,720 character string and
 * nothing more). ECR evaluates the document before it attaches it ("The contents of your
 * lifecycle policy are evaluated before being associated with a repository").
 *
 * Source: Amazon ECR User Guide, "Lifecycle policy properties in Amazon ECR"
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html) and
 * its template in "Examples of lifecycle policies in Amazon ECR"
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html):
 * - `rulePriority`: integer, required, unique across the rules; a rule with `tagStatus` `any`
 *   must have the highest value.
 * - `selection.tagStatus`: required, `tagged` | `untagged` | `any`; `tagged` needs a
 *   `tagPrefixList` or a `tagPatternList`; `untagged` omits both. At most four wildcards (`*`) in
 *   each `tagPatternList` string.
 * - `selection.countType`: required, `imageCountMoreThan` | `sinceImagePushed` |
 *   `sinceImagePulled` | `sinceImageTransitioned`; `countUnit` (`days`) goes with the `since*`
 *   types only; `countNumber`: required, a positive integer.
 * - `action.type`: required, `expire` | `transition`; `transition` names `targetStorageClass`
 *   `archive`.
 */
import type { Violation } from "./aws-model";

const DOC =
    "ECR lifecycle policy (docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html)";
export const TAG_STATUSES = ["tagged", "untagged", "any"];
export const COUNT_TYPES = [
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
];
export const ACTION_TYPES = ["expire", "transition"];

type Json = Record<string, any>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every documented rule one lifecycle policy text breaks; `field` is the path inside the request. Pure. */
export function lifecyclePolicyViolations(text: unknown, field = "lifecyclePolicyText"): Violation[] {
    const out: Violation[] = [];
    const push = (path: string, value: unknown, rule: string) =>
        out.push({ field: `${field}${path}`, value, rule: `${DOC}: ${rule}` });
    let doc: unknown;
    try {
        doc = typeof text === "string" ? JSON.parse(text) : text;
    } catch {
        push("", text, "the policy text is a JSON document");
        return out;
    }
    if (!isObject(doc) || !Array.isArray(doc.rules) || doc.rules.length === 0) {
        push(".rules", isObject(doc) ? doc.rules : doc, "a policy has a rules list with at least one rule");
        return out;
    }
    const rules: unknown[] = doc.rules;
    for (const [i, rule] of rules.entries()) {
        const at = `.rules[${i}]`;
        if (!isObject(rule)) {
            push(at, rule, "each rule is an object");
            continue;
        }
        if (!Number.isInteger(rule.rulePriority))
            push(`${at}.rulePriority`, rule.rulePriority, "rulePriority is a required integer");
        const s = rule.selection;
        if (!isObject(s)) push(`${at}.selection`, s, "selection is required");
        else selectionViolations(s, `${at}.selection`, push);
        const a = rule.action;
        if (!isObject(a) || !ACTION_TYPES.includes(a.type))
            push(
                `${at}.action.type`,
                isObject(a) ? a.type : a,
                `action.type is one of ${ACTION_TYPES.join(", ")}`,
            );
        else if (a.type === "transition" && a.targetStorageClass !== "archive")
            push(
                `${at}.action.targetStorageClass`,
                a.targetStorageClass,
                "a transition action names targetStorageClass archive",
            );
    }
    const priorities = rules.map((r) => (isObject(r) ? r.rulePriority : undefined));
    priorities.forEach((p, i) => {
        if (p !== undefined && priorities.indexOf(p) !== i)
            push(`.rules[${i}].rulePriority`, p, "each rule has a unique rulePriority");
    });
    const any = rules.flatMap((r, i) => (isObject(r) && r.selection?.tagStatus === "any" ? [i] : []));
    const highest = Math.max(...priorities.filter((p): p is number => typeof p === "number"));
    for (const i of any)
        if (any.length > 1 || (rules[i] as Json).rulePriority !== highest)
            push(
                `.rules[${i}].rulePriority`,
                (rules[i] as Json).rulePriority,
                "a rule with tagStatus any has the highest rulePriority (evaluated last), and only one rule has it",
            );
    return out;
}

function selectionViolations(
    s: Json,
    at: string,
    push: (path: string, value: unknown, rule: string) => void,
) {
    if (!TAG_STATUSES.includes(s.tagStatus))
        push(`${at}.tagStatus`, s.tagStatus, `tagStatus is one of ${TAG_STATUSES.join(", ")}`);
    const lists = ["tagPrefixList", "tagPatternList"].filter((k) => s[k] !== undefined);
    if (s.tagStatus === "tagged" && !lists.some((k) => Array.isArray(s[k]) && s[k].length > 0))
        push(at, s.tagStatus, "tagStatus tagged needs a tagPrefixList or a tagPatternList");
    if (s.tagStatus === "untagged")
        for (const k of lists) push(`${at}.${k}`, s[k], `tagStatus untagged omits ${k}`);
    for (const [j, p] of (Array.isArray(s.tagPatternList) ? s.tagPatternList : []).entries())
        if (typeof p === "string" && (p.match(/\*/g) ?? []).length > 4)
            push(`${at}.tagPatternList[${j}]`, p, "at most four wildcards (*) per tag pattern");
    if (!COUNT_TYPES.includes(s.countType))
        push(`${at}.countType`, s.countType, `countType is one of ${COUNT_TYPES.join(", ")}`);
    const since = typeof s.countType === "string" && s.countType.startsWith("since");
    if (since && s.countUnit !== "days")
        push(`${at}.countUnit`, s.countUnit, `countType ${s.countType} needs countUnit days`);
    if (!since && s.countUnit !== undefined)
        push(
            `${at}.countUnit`,
            s.countUnit,
            `countUnit goes only with the since* count types, not ${s.countType}`,
        );
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1)
        push(`${at}.countNumber`, s.countNumber, "countNumber is a required positive integer");
}
