/**
 * Requests of the data and storage resources: RDS (CreateDBInstance, CreateDBParameterGroup,
 * CreateDBSubnetGroup), Secrets Manager, SNS, CloudWatch Logs, ECR (CreateRepository,
 * PutLifecyclePolicy, SetRepositoryPolicy) and S3, as terraform-provider-aws's create calls send
 * them.
 */
import type { RecordedResource } from "../offline";
import { type ApiRequest, type Inputs, tagList, clean, nameOf } from "./aws-requests";

type Mapper = (r: RecordedResource, i: Inputs) => ApiRequest[];

export const STORAGE_MAPPERS: Record<string, Mapper> = {
    "aws:rds/instance:Instance": (r, i) => [
        {
            service: "rds",
            operation: "CreateDBInstance",
            request: clean({
                DBInstanceIdentifier: i.identifier ?? r.state.identifier,
                DBInstanceClass: i.instanceClass,
                Engine: i.engine,
                EngineVersion: i.engineVersion,
                DBName: i.dbName,
                MasterUsername: i.username,
                MasterUserPassword: i.password,
                ManageMasterUserPassword: i.manageMasterUserPassword,
                AllocatedStorage: i.allocatedStorage,
                MaxAllocatedStorage: i.maxAllocatedStorage,
                StorageType: undefined,
                StorageEncrypted: i.storageEncrypted,
                MultiAZ: i.multiAz,
                BackupRetentionPeriod: i.backupRetentionPeriod,
                PreferredBackupWindow: i.backupWindow,
                PreferredMaintenanceWindow: i.maintenanceWindow,
                DBSubnetGroupName: i.dbSubnetGroupName,
                DBParameterGroupName: i.parameterGroupName,
                VpcSecurityGroupIds: undefined,
                DeletionProtection: i.deletionProtection,
                EnablePerformanceInsights: i.performanceInsightsEnabled,
                PubliclyAccessible: i.publiclyAccessible,
                AutoMinorVersionUpgrade: i.autoMinorVersionUpgrade,
                CopyTagsToSnapshot: i.copyTagsToSnapshot,
                Port: i.port,
                CACertificateIdentifier: i.caCertIdentifier,
                Tags: tagList(i.tags),
            }),
        },
        // The final snapshot name is sent at delete (DeleteDBInstance.FinalDBSnapshotIdentifier);
        // its rule is that of a snapshot identifier, checked below in `extraRules`.
    ],
    "aws:rds/parameterGroup:ParameterGroup": (r, i) => [
        {
            service: "rds",
            operation: "CreateDBParameterGroup",
            request: clean({
                DBParameterGroupName: nameOf(r, i),
                DBParameterGroupFamily: i.family,
                Description: i.description,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:rds/subnetGroup:SubnetGroup": (r, i) => [
        {
            service: "rds",
            operation: "CreateDBSubnetGroup",
            request: clean({
                DBSubnetGroupName: nameOf(r, i),
                DBSubnetGroupDescription: i.description,
                SubnetIds: i.subnetIds,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:secretsmanager/secret:Secret": (r, i) => [
        {
            service: "secretsmanager",
            operation: "CreateSecret",
            request: clean({
                Name: nameOf(r, i),
                Description: i.description,
                KmsKeyId: i.kmsKeyId,
                Tags: tagList(i.tags),
            }),
        },
    ],
    "aws:secretsmanager/secretVersion:SecretVersion": (_r, i) => [
        {
            service: "secretsmanager",
            operation: "PutSecretValue",
            request: clean({
                SecretId: i.secretId,
                SecretString: i.secretString,
                VersionStages: i.versionStages,
            }),
        },
    ],
    "aws:sns/topic:Topic": (r, i) => [
        {
            service: "sns",
            operation: "CreateTopic",
            request: clean({ Name: nameOf(r, i), Tags: tagList(i.tags) }),
        },
    ],
    "aws:sns/topicSubscription:TopicSubscription": (_r, i) => [
        {
            service: "sns",
            operation: "Subscribe",
            request: clean({ TopicArn: i.topic, Protocol: i.protocol, Endpoint: i.endpoint }),
        },
    ],
    "aws:cloudwatch/logGroup:LogGroup": (r, i) => [
        {
            service: "logs",
            operation: "CreateLogGroup",
            request: clean({
                logGroupName: nameOf(r, i),
                kmsKeyId: i.kmsKeyId,
                logGroupClass: i.logGroupClass,
                tags: i.tags,
            }),
        },
        ...(i.retentionInDays === undefined || i.retentionInDays === 0
            ? []
            : [
                  {
                      service: "logs",
                      operation: "PutRetentionPolicy",
                      request: { logGroupName: nameOf(r, i), retentionInDays: i.retentionInDays },
                  },
              ]),
    ],
    "aws:ecr/repository:Repository": (r, i) => [
        {
            service: "ecr",
            operation: "CreateRepository",
            request: clean({
                repositoryName: nameOf(r, i),
                imageTagMutability: i.imageTagMutability,
                imageScanningConfiguration: i.imageScanningConfiguration,
                encryptionConfiguration: i.encryptionConfigurations?.[0],
                tags: tagList(i.tags),
            }),
        },
    ],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (_r, i) => [
        {
            service: "ecr",
            operation: "PutLifecyclePolicy",
            request: clean({ repositoryName: i.repository, lifecyclePolicyText: i.policy }),
        },
    ],
    "aws:ecr/repositoryPolicy:RepositoryPolicy": (_r, i) => [
        {
            service: "ecr",
            operation: "SetRepositoryPolicy",
            request: clean({ repositoryName: i.repository, policyText: i.policy }),
        },
    ],
    "aws:s3/bucketV2:BucketV2": (r, i) => [
        {
            service: "s3",
            operation: "CreateBucket",
            request: clean({ Bucket: i.bucket ?? r.state.bucket ?? nameOf(r, i) }),
        },
    ],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (_r, i) => [
        {
            service: "s3",
            operation: "PutPublicAccessBlock",
            request: clean({
                Bucket: i.bucket,
                PublicAccessBlockConfiguration: clean({
                    BlockPublicAcls: i.blockPublicAcls,
                    BlockPublicPolicy: i.blockPublicPolicy,
                    IgnorePublicAcls: i.ignorePublicAcls,
                    RestrictPublicBuckets: i.restrictPublicBuckets,
                }),
            }),
        },
    ],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (_r, i) => [
        {
            service: "s3",
            operation: "PutBucketEncryption",
            request: {
                Bucket: i.bucket,
                ServerSideEncryptionConfiguration: {
                    Rules: (i.rules ?? []).map((x: Inputs) =>
                        clean({
                            ApplyServerSideEncryptionByDefault: x.applyServerSideEncryptionByDefault && {
                                SSEAlgorithm: x.applyServerSideEncryptionByDefault.sseAlgorithm,
                                ...(x.applyServerSideEncryptionByDefault.kmsMasterKeyId
                                    ? { KMSMasterKeyID: x.applyServerSideEncryptionByDefault.kmsMasterKeyId }
                                    : {}),
                            },
                            BucketKeyEnabled: x.bucketKeyEnabled,
                        }),
                    ),
                },
            },
        },
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (_r, i) => [
        {
            service: "s3",
            operation: "PutBucketLifecycleConfiguration",
            request: {
                Bucket: i.bucket,
                LifecycleConfiguration: {
                    Rules: (i.rules ?? []).map((x: Inputs) =>
                        clean({
                            ID: x.id,
                            Status: x.status,
                            Filter: x.filter && clean({ Prefix: x.filter.prefix }),
                            Expiration: x.expiration && clean({ Days: x.expiration.days }),
                            AbortIncompleteMultipartUpload:
                                x.abortIncompleteMultipartUpload &&
                                clean({
                                    DaysAfterInitiation: x.abortIncompleteMultipartUpload.daysAfterInitiation,
                                }),
                        }),
                    ),
                },
            },
        },
    ],
    "aws:s3/bucketPolicy:BucketPolicy": (_r, i) => [
        {
            service: "s3",
            operation: "PutBucketPolicy",
            request: clean({ Bucket: i.bucket, Policy: i.policy }),
        },
    ],
    "aws:s3/bucket:Bucket": (r, i) => [
        {
            service: "s3",
            operation: "CreateBucket",
            request: clean({ Bucket: i.bucket ?? r.state.bucket ?? nameOf(r, i) }),
        },
    ],
};
