import { awsStackSuite } from "./aws-suite";

awsStackSuite({
    stack: "production",
    tasks: 3,
    cpu: "1024",
    memory: "2048",
    multiAz: true,
    backupRetentionDays: 14,
    deletionProtection: true,
    performanceInsights: true,
    recoveryWindowDays: 30,
    natGateways: 2,
    builds: false,
});
