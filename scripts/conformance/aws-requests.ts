/**
 * Shared pieces of the Pulumi resource -> API request mapping: the request type and the
 * conversions between the provider's inputs and the API's member names and shapes.
 */
import type { RecordedResource } from "../offline";

export interface ApiRequest {
    service: string;
    operation: string;
    request: Record<string, unknown>;
}

export type Inputs = Record<string, any>;
export const tagList = (tags: Record<string, string> | undefined, k = "Key", v = "Value") =>
    tags && Object.keys(tags).length > 0
        ? Object.entries(tags).map(([key, value]) => ({ [k]: key, [v]: value }))
        : undefined;
export const ec2Tags = (type: string, tags: Record<string, string> | undefined) =>
    tags && Object.keys(tags).length > 0 ? [{ ResourceType: type, Tags: tagList(tags) }] : undefined;
export const num = (v: unknown) => (v === undefined ? undefined : Number(v));
export const clean = (o: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
        if (v === undefined) continue;
        out[k] = v && typeof v === "object" && !Array.isArray(v) ? clean(v as Record<string, unknown>) : v;
    }
    return out;
};
export const json = (s: unknown) => {
    try {
        return typeof s === "string" ? JSON.parse(s) : s;
    } catch {
        return undefined;
    }
};
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** lowerCamel keys to the UpperCamel the query/JSON protocols of ELB, CloudWatch and RDS use. */
export const upper = (v: unknown): unknown =>
    Array.isArray(v)
        ? v.map(upper)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [cap(k), upper(x)]))
          : v;

/** The name the provider sends: the input, or the auto-name it made (the mock's state). */
export const nameOf = (r: RecordedResource, i: Inputs): string | undefined =>
    (i.name as string | undefined) ?? (r.state.name as string | undefined);

export function elbAction(a: Inputs): Record<string, unknown> {
    return clean({
        Type: a.type,
        TargetGroupArn: a.targetGroupArn,
        Order: a.order,
        RedirectConfig: a.redirect && upper(a.redirect),
        FixedResponseConfig: a.fixedResponse && upper(a.fixedResponse),
        ForwardConfig: a.forward && {
            TargetGroups: a.forward.targetGroups?.map((t: Inputs) =>
                clean({ TargetGroupArn: t.arn, Weight: t.weight }),
            ),
            TargetGroupStickinessConfig: a.forward.stickiness && upper(a.forward.stickiness),
        },
    });
}

export function elbCondition(c: Inputs): Record<string, unknown> {
    if (c.pathPattern) return { Field: "path-pattern", PathPatternConfig: { Values: c.pathPattern.values } };
    if (c.hostHeader) return { Field: "host-header", HostHeaderConfig: { Values: c.hostHeader.values } };
    if (c.sourceIp) return { Field: "source-ip", SourceIpConfig: { Values: c.sourceIp.values } };
    if (c.httpHeader)
        return {
            Field: "http-header",
            HttpHeaderConfig: { HttpHeaderName: c.httpHeader.httpHeaderName, Values: c.httpHeader.values },
        };
    return upper(c) as Record<string, unknown>;
}

export function ipPermission(i: Inputs): Record<string, unknown> {
    return clean({
        IpProtocol: i.ipProtocol,
        FromPort: i.fromPort,
        ToPort: i.toPort,
        IpRanges: i.cidrIpv4 ? [clean({ CidrIp: i.cidrIpv4, Description: i.description })] : undefined,
        Ipv6Ranges: i.cidrIpv6 ? [clean({ CidrIpv6: i.cidrIpv6, Description: i.description })] : undefined,
        PrefixListIds: i.prefixListId
            ? [clean({ PrefixListId: i.prefixListId, Description: i.description })]
            : undefined,
        UserIdGroupPairs: i.referencedSecurityGroupId
            ? [clean({ GroupId: i.referencedSecurityGroupId, Description: i.description })]
            : undefined,
    });
}
