/**
 * Values in a stack file that only stand in for the user's own: AWS's documentation account
 * (123456789012), the RFC 5737 documentation networks (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24: nobody's real office or CI egress) and the reserved example domains (RFC 2606).
 * The committed stack files mark each with `# PLACEHOLDER`. The offline plan lists them under
 * "Not verified offline"; a real `pulumi preview`/`up` refuses them at config parse, naming the
 * key, before a single resource (VPC, database) is registered. Pure, no Pulumi.
 */

export const EXAMPLE_ACCOUNT = "123456789012";
const DOC_NETS = ["192.0.2.", "198.51.100.", "203.0.113."];
const EXAMPLE_DOMAIN = /@(?:[a-z0-9-]+\.)*example\.(?:com|net|org)$/i;

export interface Placeholder {
    /** Config key with the project prefix, e.g. `service-deploy:aws.certificateArn`. */
    key: string;
    value: string;
    /** What to put there instead. */
    replace: string;
}

/** The placeholders among a stack's AWS-related config (raw, decoded values). Pure. */
export function awsPlaceholders(raw: {
    aws?: { certificateArn?: unknown };
    blueGreen?: { testCidr?: unknown };
    alarms?: { emails?: unknown };
    services?: unknown;
}): Placeholder[] {
    const out: Placeholder[] = [];
    const cert = raw.aws?.certificateArn;
    if (typeof cert === "string" && cert.split(":")[4] === EXAMPLE_ACCOUNT)
        out.push({
            key: "service-deploy:aws.certificateArn",
            value: cert,
            replace:
                "your ACM certificate ARN in the stack's region (pulumi config set --path aws.certificateArn <arn>)",
        });
    const cidr = raw.blueGreen?.testCidr;
    if (typeof cidr === "string" && DOC_NETS.some((n) => cidr.startsWith(n)))
        out.push({
            key: "service-deploy:blueGreen.testCidr",
            value: cidr,
            replace: "the range your testers and CI reach the test listener from (docs/aws.md#testcidr)",
        });
    const emails = Array.isArray(raw.alarms?.emails) ? raw.alarms.emails : [];
    emails.forEach((e, i) => {
        if (typeof e === "string" && EXAMPLE_DOMAIN.test(e))
            out.push({
                key: `service-deploy:alarms.emails[${i}]`,
                value: e,
                replace: "a mailbox someone reads",
            });
    });
    const services = Array.isArray(raw.services) ? raw.services : [];
    services.forEach((s, i) => {
        const ref = (s as { image?: { ref?: unknown } })?.image?.ref;
        if (typeof ref === "string" && ref.startsWith(`${EXAMPLE_ACCOUNT}.dkr.ecr.`))
            out.push({
                key: `service-deploy:services[${i}].image.ref`,
                value: ref,
                replace: "the digest promotion writes from staging (npm run promote)",
            });
    });
    return out;
}

/** One line per placeholder, for messages and the plan's notes. Pure. */
export function describePlaceholder(p: Placeholder): string {
    return `${p.key}: ${p.value} is a placeholder; replace it with ${p.replace}`;
}
