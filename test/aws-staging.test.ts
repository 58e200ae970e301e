import { awsStackSuite } from "./aws-suite";

awsStackSuite({
    stack: "staging",
    tasks: 1,
    cpu: "512",
    memory: "1024",
    multiAz: false,
    backupRetentionDays: 3,
    deletionProtection: false,
    performanceInsights: false,
    recoveryWindowDays: 7,
    natGateways: 1,
    builds: true,
});
