/**
 * The provisioned VM's network: a VCN with one public subnet, an internet gateway and a route
 * table (or an existing subnet), and a network security group that opens 443 (and 80 when
 * certbot needs it) to anyone and 22 to the configured CIDR only. The new subnet gets a security
 * list with no ingress at all: OCI applies a VCN's default security list (which allows 22 from
 * 0.0.0.0/0) to a subnet that names none, and security lists add to NSGs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as oci from "@pulumi/oci";

export interface OciNetworkArgs {
    compartmentId: string;
    /** Who may reach port 22. */
    sshSourceCidr: string;
    /** Open 80 too (certbot's HTTP-01 challenge and renewals). @default false */
    openHttp?: boolean;
    /** An existing public subnet: no VCN is made. @default undefined */
    subnetId?: string;
    /** @default "10.0.0.0/16" */
    vcnCidr?: string;
    /** @default "10.0.0.0/24" */
    subnetCidr?: string;
    freeformTags: Record<string, string>;
}

export interface IngressRule {
    description: string;
    source: string;
    port: number;
}

/** Every ingress the NSG allows, and nothing else. Pure. */
export function ingressRules(sshSourceCidr: string, openHttp: boolean): IngressRule[] {
    return [
        { description: "HTTPS from anywhere", source: "0.0.0.0/0", port: 443 },
        ...(openHttp
            ? [{ description: "HTTP for certbot (ACME HTTP-01)", source: "0.0.0.0/0", port: 80 }]
            : []),
        { description: "SSH from the deploy's CIDR", source: sshSourceCidr, port: 22 },
    ];
}

export class OciNetwork extends pulumi.ComponentResource {
    public readonly subnetId: pulumi.Output<string>;
    public readonly nsgId: pulumi.Output<string>;
    public readonly vcn?: oci.core.Vcn;

    constructor(name: string, args: OciNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:oci:OciNetwork", name, {}, opts);
        const compartmentId = args.compartmentId;
        const tags = args.freeformTags;
        let vcnId: pulumi.Output<string>;
        if (args.subnetId) {
            this.subnetId = pulumi.output(args.subnetId);
            vcnId = oci.core.getSubnetOutput({ subnetId: args.subnetId }, { parent: this }).vcnId;
        } else {
            const vcn = new oci.core.Vcn(
                `${name}-vcn`,
                {
                    compartmentId,
                    cidrBlocks: [args.vcnCidr ?? "10.0.0.0/16"],
                    displayName: name,
                    dnsLabel: "sd",
                    freeformTags: tags,
                },
                { parent: this },
            );
            this.vcn = vcn;
            vcnId = vcn.id;
            const igw = new oci.core.InternetGateway(
                `${name}-igw`,
                { compartmentId, vcnId, enabled: true, displayName: `${name}-igw`, freeformTags: tags },
                { parent: this },
            );
            const routes = new oci.core.RouteTable(
                `${name}-routes`,
                {
                    compartmentId,
                    vcnId,
                    displayName: `${name}-routes`,
                    routeRules: [
                        { destination: "0.0.0.0/0", destinationType: "CIDR_BLOCK", networkEntityId: igw.id },
                    ],
                    freeformTags: tags,
                },
                { parent: this },
            );
            const list = new oci.core.SecurityList(
                `${name}-egress-only`,
                {
                    compartmentId,
                    vcnId,
                    displayName: `${name}-egress-only`,
                    egressSecurityRules: [{ destination: "0.0.0.0/0", protocol: "all", stateless: false }],
                    ingressSecurityRules: [],
                    freeformTags: tags,
                },
                { parent: this },
            );
            const subnet = new oci.core.Subnet(
                `${name}-public`,
                {
                    compartmentId,
                    vcnId,
                    cidrBlock: args.subnetCidr ?? "10.0.0.0/24",
                    displayName: `${name}-public`,
                    dnsLabel: "public",
                    prohibitPublicIpOnVnic: false,
                    routeTableId: routes.id,
                    securityListIds: [list.id],
                    freeformTags: tags,
                },
                { parent: this },
            );
            this.subnetId = subnet.id;
        }
        const nsg = new oci.core.NetworkSecurityGroup(
            `${name}-nsg`,
            { compartmentId, vcnId, displayName: `${name}-nsg`, freeformTags: tags },
            { parent: this },
        );
        this.nsgId = nsg.id;
        for (const r of ingressRules(args.sshSourceCidr, args.openHttp ?? false)) {
            new oci.core.NetworkSecurityGroupSecurityRule(
                `${name}-in-${r.port}`,
                {
                    networkSecurityGroupId: nsg.id,
                    direction: "INGRESS",
                    protocol: "6",
                    source: r.source,
                    sourceType: "CIDR_BLOCK",
                    stateless: false,
                    description: r.description,
                    tcpOptions: { destinationPortRange: { min: r.port, max: r.port } },
                },
                { parent: this },
            );
        }
        new oci.core.NetworkSecurityGroupSecurityRule(
            `${name}-out`,
            {
                networkSecurityGroupId: nsg.id,
                direction: "EGRESS",
                protocol: "all",
                destination: "0.0.0.0/0",
                destinationType: "CIDR_BLOCK",
                stateless: false,
                description: "packages, images and certificates",
            },
            { parent: this },
        );
        this.registerOutputs({ subnetId: this.subnetId, nsgId: this.nsgId });
    }
}
