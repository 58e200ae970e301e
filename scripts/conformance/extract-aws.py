#!/usr/bin/env python3
"""Regenerate scripts/conformance/rules/aws-botocore.json from botocore's service models.

The AWS checker (scripts/conformance/aws.ts) reads only that extract, so a machine without
botocore still runs it. Source: botocore's data/<service>/<api-version>/service-2.json(.gz)
(Apache-2.0, https://github.com/boto/botocore), the models AWS publishes for its SDKs.

Usage: python3 scripts/conformance/extract-aws.py [OUT]   (writes the extract, by default
rules/aws-botocore.json beside this script; prints the botocore version)
"""
import gzip
import json
import os
import re
import sys

import botocore

# The API operations the provider calls for the resources the program declares.
OPERATIONS = {
    "ecs": ["RegisterTaskDefinition", "CreateService", "CreateCluster"],
    "elbv2": [
        "CreateLoadBalancer",
        "CreateTargetGroup",
        "CreateListener",
        "CreateRule",
        "ModifyLoadBalancerAttributes",
    ],
    "cloudwatch": ["PutMetricAlarm"],
    "rds": ["CreateDBInstance", "CreateDBParameterGroup", "CreateDBSubnetGroup"],
    "secretsmanager": ["CreateSecret", "PutSecretValue"],
    "sns": ["CreateTopic", "Subscribe"],
    "iam": ["CreateRole", "PutRolePolicy", "AttachRolePolicy"],
    "ec2": [
        "CreateSecurityGroup",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "CreateVpc",
        "CreateSubnet",
    ],
    "logs": ["CreateLogGroup", "PutRetentionPolicy"],
    "ecr": ["CreateRepository", "PutLifecyclePolicy", "SetRepositoryPolicy"],
    "lambda": ["CreateFunction", "AddPermission"],
    "s3": [
        "CreateBucket",
        "PutBucketLifecycleConfiguration",
        "PutPublicAccessBlock",
        "PutBucketEncryption",
        "PutBucketPolicy",
    ],
}

# Member documentation kept verbatim (tags stripped): the cross-field rules the checker encodes
# live in these texts, not in the machine-readable constraints.
DOCS = [
    ("ecs", "RegisterTaskDefinitionRequest", "cpu"),
    ("ecs", "RegisterTaskDefinitionRequest", "memory"),
    ("cloudwatch", "PutMetricAlarmInput", "Period"),
    ("cloudwatch", "PutMetricAlarmInput", "Metrics"),
    ("cloudwatch", "PutMetricAlarmInput", "DatapointsToAlarm"),
    ("cloudwatch", "MetricDataQuery", "Id"),
    ("cloudwatch", "MetricDataQuery", "ReturnData"),
    ("cloudwatch", "MetricStat", "Period"),
    ("logs", "PutRetentionPolicyRequest", "retentionInDays"),
]

KEEP = ("type", "required", "enum", "min", "max", "pattern")


def load(data, service):
    d = os.path.join(data, service)
    version = sorted(os.listdir(d))[-1]
    base = os.path.join(d, version, "service-2.json")
    if os.path.exists(base):
        with open(base) as f:
            return version, json.load(f)
    with gzip.open(base + ".gz") as f:
        return version, json.load(f)


def strip(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def main():
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    out = {
        "source": "botocore data/<service>/<version>/service-2.json, https://github.com/boto/botocore (Apache-2.0)",
        "botocore": botocore.__version__,
        "services": {},
        "docs": {},
    }
    for service, ops in OPERATIONS.items():
        version, model = load(data, service)
        shapes = model["shapes"]
        picked = {}

        def visit(name):
            if name in picked:
                return
            s = shapes[name]
            kept = {k: s[k] for k in KEEP if k in s}
            picked[name] = kept
            if s["type"] == "structure":
                kept["members"] = {}
                for m, ref in s.get("members", {}).items():
                    kept["members"][m] = ref["shape"]
                    visit(ref["shape"])
            elif s["type"] == "list":
                kept["member"] = s["member"]["shape"]
                visit(s["member"]["shape"])
            elif s["type"] == "map":
                kept["key"] = s["key"]["shape"]
                kept["value"] = s["value"]["shape"]
                visit(s["key"]["shape"])
                visit(s["value"]["shape"])

        operations = {}
        for op in ops:
            inp = model["operations"][op]["input"]["shape"]
            operations[op] = inp
            visit(inp)
        out["services"][service] = {
            "apiVersion": version,
            "operations": operations,
            "shapes": dict(sorted(picked.items())),
        }
        for svc, shape, member in DOCS:
            if svc == service:
                out["docs"][f"{svc}.{shape}.{member}"] = strip(shapes[shape]["members"][member].get("documentation", ""))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules", "aws-botocore.json")
    with open(target, "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"botocore {botocore.__version__}: {sum(len(s['shapes']) for s in out['services'].values())} shapes -> {target}")


if __name__ == "__main__":
    sys.exit(main())
