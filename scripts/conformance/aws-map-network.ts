/**
 * Requests of the identity and network resources: IAM (CreateRole, PutRolePolicy,
 * AttachRolePolicy) and EC2/VPC (CreateSecurityGroup, Authorize*, CreateVpc, CreateSubnet), as
 * terraform-provider-aws's create calls send them.
 */
import type { RecordedResource } from "../offline";
import { type ApiRequest, type Inputs, tagList, ec2Tags, clean, nameOf, ipPermission } from "./aws-requests";

type Mapper = (r: RecordedResource, i: Inputs) => ApiRequest[];

export const NETWORK_MAPPERS: Record<string, Mapper> = {
    "aws:iam/role:Role": (r, i) => [
        {
            service: "iam",
            operation: "CreateRole",
            request: clean({
                RoleName: nameOf(r, i),
                AssumeRolePolicyDocument: i.assumeRolePolicy,
                Description: i.description,
                Path: i.path,
                MaxSessionDuration: i.maxSessionDuration,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:iam/rolePolicy:RolePolicy": (r, i) => [
        {
            service: "iam",
            operation: "PutRolePolicy",
            request: clean({ RoleName: i.role, PolicyName: nameOf(r, i), PolicyDocument: i.policy }),
        },
    ],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (_r, i) => [
        {
            service: "iam",
            operation: "AttachRolePolicy",
            request: clean({ RoleName: i.role, PolicyArn: i.policyArn }),
        },
    ],
    "aws:ec2/securityGroup:SecurityGroup": (r, i) => [
        {
            service: "ec2",
            operation: "CreateSecurityGroup",
            request: clean({
                GroupName: nameOf(r, i),
                Description: i.description ?? "Managed by Pulumi",
                VpcId: i.vpcId,
                TagSpecifications: ec2Tags("security-group", i.tags),
            }),
        },
    ],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (_r, i) => [
        {
            service: "ec2",
            operation: "AuthorizeSecurityGroupIngress",
            request: clean({
                GroupId: i.securityGroupId,
                IpPermissions: [ipPermission(i)],
                TagSpecifications: ec2Tags("security-group-rule", i.tags),
            }),
        },
    ],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (_r, i) => [
        {
            service: "ec2",
            operation: "AuthorizeSecurityGroupEgress",
            request: clean({
                GroupId: i.securityGroupId,
                IpPermissions: [ipPermission(i)],
                TagSpecifications: ec2Tags("security-group-rule", i.tags),
            }),
        },
    ],
    "aws:ec2/vpc:Vpc": (_r, i) => [
        {
            service: "ec2",
            operation: "CreateVpc",
            request: clean({ CidrBlock: i.cidrBlock, TagSpecifications: ec2Tags("vpc", i.tags) }),
        },
    ],
    "aws:ec2/subnet:Subnet": (_r, i) => [
        {
            service: "ec2",
            operation: "CreateSubnet",
            request: clean({
                VpcId: i.vpcId,
                CidrBlock: i.cidrBlock,
                AvailabilityZone: i.availabilityZone,
                TagSpecifications: ec2Tags("subnet", i.tags),
            }),
        },
    ],
};
