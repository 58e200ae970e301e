/**
 * ECR in the AWS conformance layer: the staging program's real repository and lifecycle policy
 * are mapped to CreateRepository and PutLifecyclePolicy, checked against botocore's ecr model
 * (rules/aws-botocore.json) and against ECR's documented lifecycle policy rules
 * (scripts/conformance/aws-ecr-lifecycle.ts); each rule refuses the real output with one field
 * changed.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type Finding, renderFindings } from "../scripts/conformance";
import { awsChecker, requestsOf } from "../scripts/conformance/aws";
import { lifecyclePolicyViolations } from "../scripts/conformance/aws-ecr-lifecycle";
import { type Graph, graphOf, type RecordedResource } from "./mocks";

let g: Graph;

function changed(r: RecordedResource, change: (inputs: any) => void): RecordedResource {
    const copy = structuredClone(r);
    change(copy.inputs);
    return copy;
}

/** The real lifecycle policy resource with its policy document changed by `change`. */
function policyChanged(change: (doc: any) => void): RecordedResource {
    return changed(g.one("aws:ecr/lifecyclePolicy:LifecyclePolicy"), (i) => {
        const doc = JSON.parse(i.policy);
        change(doc);
        i.policy = JSON.stringify(doc);
    });
}

function only(findings: Finding[]): Finding {
    assert.equal(findings.length, 1, JSON.stringify(findings, null, 1));
    return findings[0];
}

describe("AWS conformance: ECR", () => {
    before(async () => {
        g = await graphOf("staging");
    });

    it("staging's repository and lifecycle policy become CreateRepository and PutLifecyclePolicy, which AWS accepts", () => {
        const repo = g.one("aws:ecr/repository:Repository");
        const policy = g.one("aws:ecr/lifecyclePolicy:LifecyclePolicy");
        assert.deepEqual(
            requestsOf(repo).map((r) => [r.service, r.operation, r.request.imageTagMutability]),
            [["ecr", "CreateRepository", "IMMUTABLE"]],
        );
        const [put] = requestsOf(policy);
        assert.equal(put.operation, "PutLifecyclePolicy");
        assert.equal(put.request.lifecyclePolicyText, policy.inputs.policy);
        assert.deepEqual(awsChecker([repo, policy]), []);
        assert.deepEqual(lifecyclePolicyViolations(policy.inputs.policy), []);
    });

    it("refuses a tag mutability outside ECR's enum (CreateRepository imageTagMutability)", () => {
        const f = only(
            awsChecker([
                changed(g.one("aws:ecr/repository:Repository"), (i) => {
                    i.imageTagMutability = "LOCKED";
                }),
            ]),
        );
        assert.equal(f.operation, "CreateRepository");
        assert.equal(f.field, "imageTagMutability");
        assert.match(f.rule, /ecr ImageTagMutability: one of MUTABLE, IMMUTABLE/);
    });

    it("refuses an encryption type outside ECR's enum (CreateRepository encryptionConfiguration)", () => {
        const f = only(
            awsChecker([
                changed(g.one("aws:ecr/repository:Repository"), (i) => {
                    i.encryptionConfigurations[0].encryptionType = "SSE-S3";
                }),
            ]),
        );
        assert.equal(f.field, "encryptionConfiguration.encryptionType");
        assert.match(f.rule, /ecr EncryptionType: one of AES256, KMS/);
    });

    it("refuses a lifecycle policy text over 30,720 characters (PutLifecyclePolicy lifecyclePolicyText)", () => {
        const f = only(
            awsChecker([
                policyChanged((d) => {
                    d.rules[0].description = "x".repeat(30720);
                }),
            ]),
        );
        assert.equal(f.operation, "PutLifecyclePolicy");
        assert.equal(f.field, "lifecyclePolicyText");
        assert.match(f.rule, /ecr LifecyclePolicyText: length at most 30720/);
    });

    const documented: [string, (d: any) => void, string, RegExp][] = [
        [
            "a tagStatus outside tagged, untagged, any",
            (d) => {
                d.rules[0].selection.tagStatus = "all";
            },
            "rules[0].selection.tagStatus",
            /tagStatus is one of tagged, untagged, any/,
        ],
        [
            "tagStatus tagged without a tagPrefixList or tagPatternList",
            (d) => {
                d.rules[0].selection.tagStatus = "tagged";
            },
            "rules[0].selection",
            /tagged needs a tagPrefixList or a tagPatternList/,
        ],
        [
            "tagStatus untagged with a tagPrefixList",
            (d) => {
                d.rules[0].selection.tagPrefixList = ["src-"];
            },
            "rules[0].selection.tagPrefixList",
            /untagged omits tagPrefixList/,
        ],
        [
            "a tag pattern with five wildcards",
            (d) => {
                Object.assign(d.rules[0].selection, { tagStatus: "tagged", tagPatternList: ["*a*b*c*d*"] });
            },
            "rules[0].selection.tagPatternList[0]",
            /at most four wildcards/,
        ],
        [
            "two rules with the same rulePriority",
            (d) => {
                d.rules.push(structuredClone(d.rules[0]));
            },
            "rules[1].rulePriority",
            /unique rulePriority/,
        ],
        [
            "a rulePriority that is not an integer",
            (d) => {
                d.rules[0].rulePriority = "1";
            },
            "rules[0].rulePriority",
            /rulePriority is a required integer/,
        ],
        [
            "a tagStatus any rule that is not evaluated last",
            (d) => {
                d.rules.push({ ...structuredClone(d.rules[0]), rulePriority: 0 });
                d.rules[1].selection.tagStatus = "any";
            },
            "rules[1].rulePriority",
            /tagStatus any has the highest rulePriority/,
        ],
        [
            "a countType outside ECR's",
            (d) => {
                d.rules[0].selection.countType = "imageCountLessThan";
            },
            "rules[0].selection.countType",
            /countType is one of imageCountMoreThan, sinceImagePushed/,
        ],
        [
            "a countNumber of 0",
            (d) => {
                d.rules[0].selection.countNumber = 0;
            },
            "rules[0].selection.countNumber",
            /countNumber is a required positive integer/,
        ],
        [
            "a countUnit with imageCountMoreThan",
            (d) => {
                d.rules[0].selection.countUnit = "days";
            },
            "rules[0].selection.countUnit",
            /countUnit goes only with the since\* count types/,
        ],
        [
            "sinceImagePushed without countUnit days",
            (d) => {
                d.rules[0].selection.countType = "sinceImagePushed";
            },
            "rules[0].selection.countUnit",
            /sinceImagePushed needs countUnit days/,
        ],
        [
            "an action type outside expire, transition",
            (d) => {
                d.rules[0].action.type = "delete";
            },
            "rules[0].action.type",
            /action.type is one of expire, transition/,
        ],
        [
            "a transition without targetStorageClass archive",
            (d) => {
                d.rules[0].action.type = "transition";
            },
            "rules[0].action.targetStorageClass",
            /transition action names targetStorageClass archive/,
        ],
    ];
    for (const [what, change, field, rule] of documented)
        it(`refuses a lifecycle policy with ${what} (ECR's documented lifecycle policy rules)`, () => {
            const f = only(awsChecker([policyChanged(change)]));
            assert.equal(f.operation, "PutLifecyclePolicy");
            assert.equal(f.field, `lifecyclePolicyText.${field}`);
            assert.match(f.rule, rule);
            assert.match(f.rule, /lifecycle_policy_parameters\.html/);
        });

    it("the plan prints an ECR finding under AWS would reject:, naming resource, operation, field, value and rule", () => {
        const text = renderFindings(
            awsChecker([
                policyChanged((d) => {
                    d.rules[0].selection.tagStatus = "all";
                }),
            ]),
        );
        assert.match(
            text,
            /^\nAWS would reject:\n {2}ecr-api-lifecycle \(aws:ecr\/lifecyclePolicy:LifecyclePolicy\) PutLifecyclePolicy lifecyclePolicyText\.rules\[0\]\.selection\.tagStatus = "all"\n {6}ECR lifecycle policy \(docs\.aws\.amazon\.com\/AmazonECR\/latest\/userguide\/lifecycle_policy_parameters\.html\): tagStatus is one of tagged, untagged, any$/,
        );
    });
});
