/**
 * The network: the configured VPC and subnets, or a new VPC over 2 AZs with public subnets for the
 * load balancer and private subnets (egress through NAT) for tasks and the database.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface NetworkArgs {
    /** Use these instead of creating a VPC. @default undefined (create one) */
    existing?: { vpcId: string; publicSubnetIds: string[]; privateSubnetIds: string[] };
    /** CIDR of the created VPC. @default "10.0.0.0/16" */
    cidrBlock?: string;
    /** NAT gateways in the created VPC: 1, or one per AZ. @default 1 */
    natGateways?: number;
}

/** AZs used by a created VPC: the ALB and Multi-AZ RDS both need two. */
export const AZ_COUNT = 2;

/** The n-th subnet of size /newPrefix inside an IPv4 CIDR. Pure. */
export function subnetCidr(base: string, newPrefix: number, index: number): string {
    const [ip, prefixText] = base.split("/");
    const prefix = Number(prefixText);
    if (newPrefix < prefix || newPrefix > 28)
        throw new Error(`cannot cut /${newPrefix} subnets from ${base}`);
    if (index >= 2 ** (newPrefix - prefix))
        throw new Error(`${base} has no room for subnet #${index} of size /${newPrefix}`);
    const baseInt = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const value = baseInt + index * 2 ** (32 - newPrefix);
    return `${[24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join(".")}/${newPrefix}`;
}

/** Public subnets take the first /20s (or /4 smaller than the VPC), private ones start halfway. Pure. */
export function subnetPlan(cidrBlock: string, azCount = AZ_COUNT): { public: string[]; private: string[] } {
    const prefix = Number(cidrBlock.split("/")[1]);
    const size = Math.min(28, prefix + 4);
    const half = 2 ** (size - prefix) / 2;
    return {
        public: Array.from({ length: azCount }, (_, i) => subnetCidr(cidrBlock, size, i)),
        private: Array.from({ length: azCount }, (_, i) => subnetCidr(cidrBlock, size, half + i)),
    };
}

export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly vpc?: aws.ec2.Vpc;
    /**
     * Public IPs of the NAT gateways this component created: what traffic from the private
     * subnets to a public address comes from. [] for an existing network.
     */
    public readonly natPublicIps: pulumi.Output<string>[] = [];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:Network", name, {}, opts);
        if (args.existing) {
            this.vpcId = pulumi.output(args.existing.vpcId);
            this.publicSubnetIds = pulumi.output(args.existing.publicSubnetIds);
            this.privateSubnetIds = pulumi.output(args.existing.privateSubnetIds);
        } else {
            const cidrBlock = args.cidrBlock ?? "10.0.0.0/16";
            const plan = subnetPlan(cidrBlock);
            const azs = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this });
            const vpc = new aws.ec2.Vpc(
                `${name}-vpc`,
                { cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name } },
                { parent: this },
            );
            const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, { parent: this });
            const publicRt = new aws.ec2.RouteTable(
                `${name}-public`,
                { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] },
                { parent: this },
            );
            const az = (i: number) =>
                azs.names.apply((n) => {
                    if (n.length < AZ_COUNT)
                        throw new Error(`the region has ${n.length} available AZs; ${AZ_COUNT} are needed`);
                    return n[i];
                });
            const publicSubnets = plan.public.map((cidr, i) => {
                const s = new aws.ec2.Subnet(
                    `${name}-public-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock: cidr,
                        availabilityZone: az(i),
                        mapPublicIpOnLaunch: false,
                        tags: { Name: `${name}-public-${i}` },
                    },
                    { parent: this },
                );
                new aws.ec2.RouteTableAssociation(
                    `${name}-public-${i}`,
                    { subnetId: s.id, routeTableId: publicRt.id },
                    { parent: this },
                );
                return s;
            });
            const natCount = Math.min(args.natGateways ?? 1, AZ_COUNT);
            const nats = Array.from({ length: natCount }, (_, i) => {
                const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc" }, { parent: this });
                this.natPublicIps.push(eip.publicIp);
                return new aws.ec2.NatGateway(
                    `${name}-nat-${i}`,
                    { subnetId: publicSubnets[i].id, allocationId: eip.id },
                    { parent: this, dependsOn: [igw] },
                );
            });
            const privateSubnets = plan.private.map((cidr, i) => {
                const s = new aws.ec2.Subnet(
                    `${name}-private-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock: cidr,
                        availabilityZone: az(i),
                        tags: { Name: `${name}-private-${i}` },
                    },
                    { parent: this },
                );
                const rt = new aws.ec2.RouteTable(
                    `${name}-private-${i}`,
                    {
                        vpcId: vpc.id,
                        routes: [
                            { cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, natCount - 1)].id },
                        ],
                    },
                    { parent: this },
                );
                new aws.ec2.RouteTableAssociation(
                    `${name}-private-${i}`,
                    { subnetId: s.id, routeTableId: rt.id },
                    { parent: this },
                );
                return s;
            });
            this.vpc = vpc;
            this.vpcId = vpc.id;
            this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
            this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
        }
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
        });
    }
}
