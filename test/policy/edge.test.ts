import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { edgeSecurity } from "../../policies/edge";
import { messages } from "./harness";
import {
    databaseSecurityGroup,
    envSecret,
    ingressRule,
    listener,
    resource,
} from "../../scripts/policy-fixtures";

const E = edgeSecurity();

test("edge-security: HTTP redirecting, HTTPS on TLS 1.2+, database reachable from a security group, 30-day secrets pass", async () => {
    // The AWS production stack's own edge, as the program writes it.
    assert.deepEqual(
        await messages(E, [
            listener("http"),
            listener("https"),
            listener("test"),
            ingressRule("db"),
            ingressRule("https"),
            databaseSecurityGroup(),
            envSecret(),
        ]),
        [],
    );
});

test("edge-security: an HTTP listener that forwards is refused", async () => {
    assert.deepEqual(
        await messages(E, [
            listener("http", { defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }),
        ]),
        [
            cite(
                "SD-013",
                'ALB listener "aws-api-http" on port 80 serves plain HTTP; its only action must redirect to HTTPS (type: redirect, protocol: HTTPS).',
            ),
        ],
    );
});

test("edge-security: HTTPS with a TLS 1.0 policy, or the default one, is refused", async () => {
    assert.deepEqual(
        await messages(E, [
            listener("https", { sslPolicy: "ELBSecurityPolicy-2016-08" }),
            listener("test", { sslPolicy: undefined }),
        ]),
        [
            cite(
                "SD-013",
                'ALB listener "aws-api-https" uses TLS policy ELBSecurityPolicy-2016-08; use a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.',
            ),
            cite(
                "SD-013",
                'ALB listener "aws-api-test" uses TLS policy ELBSecurityPolicy-2016-08 (the default, allows TLS 1.0); use a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.',
            ),
        ],
    );
});

test("edge-security: the database port open to the world is refused, in every rule shape", async () => {
    assert.deepEqual(
        await messages(E, [
            ingressRule("db", { referencedSecurityGroupId: undefined, cidrIpv4: "0.0.0.0/0" }),
            ingressRule("https", { fromPort: 0, toPort: 65535, cidrIpv4: undefined, cidrIpv6: "::/0" }),
            // The program writes no aws:ec2/securityGroupRule: this shape guards other programs.
            resource("aws:ec2/securityGroupRule:SecurityGroupRule", "legacy", {
                type: "ingress",
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlocks: ["0.0.0.0/0"],
            }),
            databaseSecurityGroup({
                ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["0.0.0.0/0"] }],
            }),
        ]),
        [
            cite(
                "SD-012",
                'security group rule "aws-pg-db-from-api" opens database port 5432 to 0.0.0.0/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group rule "aws-api-alb-https" opens database port 5432 to ::/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group rule "aws-api-alb-https" opens database port 3306 to ::/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group rule "legacy" opens database port 5432 to 0.0.0.0/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group rule "legacy" opens database port 3306 to 0.0.0.0/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group "aws-pg-db" opens database port 3306 to 0.0.0.0/0 (inline ingress); allow only the workloads\' security group.',
            ),
        ],
    );
});

test("edge-security: a production secret deleted at once is refused; outside production it is allowed", async () => {
    assert.deepEqual(await messages(E, [envSecret({ recoveryWindowInDays: 0 })]), [
        cite(
            "SD-014",
            'Secrets Manager secret "aws-api-env" has a recovery window of 0 days (deleted at once); production keeps at least 7.',
        ),
    ]);
    assert.deepEqual(
        await messages(E, [envSecret({ recoveryWindowInDays: 0 })], {
            "edge-security": { production: false },
        }),
        [],
    );
});
