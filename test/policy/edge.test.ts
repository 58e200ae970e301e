import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { edgeSecurity } from "../../policies/edge";
import { messages } from "./harness";
import { resource } from "../../scripts/policy-fixtures";

const E = edgeSecurity();
const listener = (props: Record<string, unknown>) => resource("aws:lb/listener:Listener", "l", props);
const redirect = [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }];
const ingress = (props: Record<string, unknown>) =>
    resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r", {
        ipProtocol: "tcp",
        ...props,
    });
const secret = (props: Record<string, unknown>) => resource("aws:secretsmanager/secret:Secret", "s", props);

test("edge-security: HTTP redirecting, HTTPS on TLS 1.2+, database reachable from a security group, 30-day secrets pass", async () => {
    assert.deepEqual(
        await messages(E, [
            listener({ port: 80, protocol: "HTTP", defaultActions: redirect }),
            listener({ port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
            ingress({ fromPort: 5432, toPort: 5432, referencedSecurityGroupId: "sg-1" }),
            ingress({ fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
            secret({ recoveryWindowInDays: 30 }),
        ]),
        [],
    );
});

test("edge-security: an HTTP listener that forwards is refused", async () => {
    assert.deepEqual(
        await messages(E, [
            listener({
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: "forward", targetGroupArn: "tg" }],
            }),
        ]),
        [
            cite(
                "SD-013",
                'ALB listener "l" on port 80 serves plain HTTP; its only action must redirect to HTTPS (type: redirect, protocol: HTTPS).',
            ),
        ],
    );
});

test("edge-security: HTTPS with a TLS 1.0 policy, or the default one, is refused", async () => {
    assert.deepEqual(
        await messages(E, [
            listener({ port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08" }),
            listener({ port: 8443, protocol: "HTTPS" }),
        ]),
        [
            cite(
                "SD-013",
                'ALB listener "l" uses TLS policy ELBSecurityPolicy-2016-08; use a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.',
            ),
            cite(
                "SD-013",
                'ALB listener "l" uses TLS policy ELBSecurityPolicy-2016-08 (the default, allows TLS 1.0); use a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.',
            ),
        ],
    );
});

test("edge-security: the database port open to the world is refused, in every rule shape", async () => {
    assert.deepEqual(
        await messages(E, [
            ingress({ fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0" }),
            ingress({ fromPort: 0, toPort: 65535, cidrIpv6: "::/0" }),
            resource("aws:ec2/securityGroupRule:SecurityGroupRule", "legacy", {
                type: "ingress",
                protocol: "-1",
                fromPort: 0,
                toPort: 0,
                cidrBlocks: ["0.0.0.0/0"],
            }),
            resource("aws:ec2/securityGroup:SecurityGroup", "inline", {
                ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["0.0.0.0/0"] }],
            }),
        ]),
        [
            cite(
                "SD-012",
                'security group rule "r" opens database port 5432 to 0.0.0.0/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group rule "r" opens database port 5432 to ::/0; allow only the workloads\' security group.',
            ),
            cite(
                "SD-012",
                'security group rule "r" opens database port 3306 to ::/0; allow only the workloads\' security group.',
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
                'security group "inline" opens database port 3306 to 0.0.0.0/0 (inline ingress); allow only the workloads\' security group.',
            ),
        ],
    );
});

test("edge-security: a production secret deleted at once is refused; outside production it is allowed", async () => {
    assert.deepEqual(await messages(E, [secret({ recoveryWindowInDays: 0 })]), [
        cite(
            "SD-014",
            'Secrets Manager secret "s" has a recovery window of 0 days (deleted at once); production keeps at least 7.',
        ),
    ]);
    assert.deepEqual(
        await messages(E, [secret({ recoveryWindowInDays: 0 })], { "edge-security": { production: false } }),
        [],
    );
});
