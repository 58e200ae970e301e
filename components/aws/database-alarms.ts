/**
 * CloudWatch alarms of the RDS instance: CPU > 80%, free storage < 10% of allocated, connections
 * above 80% of max_connections (what an app reports as "connection pool nearly exhausted").
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { postgresMaxConnections } from "./postgres";

export interface DatabaseAlarmsArgs {
    alarmPrefix: string;
    topicArn: pulumi.Input<string>;
    dbInstanceIdentifier: pulumi.Input<string>;
    instanceClass: string;
    allocatedStorageGiB: number;
    cpuPercent: number;
    freeStoragePercent: number;
    connectionsPercent: number;
}

/** Thresholds in the metrics' own units. Pure. */
export function databaseAlarmThresholds(
    a: Pick<
        DatabaseAlarmsArgs,
        "instanceClass" | "allocatedStorageGiB" | "freeStoragePercent" | "connectionsPercent"
    >,
) {
    const maxConnections = postgresMaxConnections(a.instanceClass);
    return {
        freeStorageBytes: Math.floor((a.allocatedStorageGiB * 1024 ** 3 * a.freeStoragePercent) / 100),
        // Unknown class: fall back to the smallest instance's limit, so the alarm errs early.
        connections: Math.floor(((maxConnections ?? 112) * a.connectionsPercent) / 100),
    };
}

export class DatabaseAlarms extends pulumi.ComponentResource {
    public readonly alarms: aws.cloudwatch.MetricAlarm[];

    constructor(name: string, args: DatabaseAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:aws:DatabaseAlarms", name, {}, opts);
        const t = databaseAlarmThresholds(args);
        const alarm = (
            role: string,
            metricName: string,
            statistic: string,
            comparisonOperator: string,
            threshold: number,
            minutes: number,
            description: string,
        ) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${role}`,
                {
                    name: `${args.alarmPrefix}-${role}`,
                    alarmDescription: description,
                    namespace: "AWS/RDS",
                    metricName,
                    dimensions: { DBInstanceIdentifier: args.dbInstanceIdentifier },
                    statistic,
                    period: 60,
                    comparisonOperator,
                    threshold,
                    evaluationPeriods: minutes,
                    datapointsToAlarm: minutes,
                    treatMissingData: "missing",
                    alarmActions: [args.topicArn],
                    okActions: [args.topicArn],
                },
                { parent: this },
            );
        this.alarms = [
            alarm(
                "db-cpu",
                "CPUUtilization",
                "Average",
                "GreaterThanThreshold",
                args.cpuPercent,
                10,
                `Alert: database CPU above ${args.cpuPercent}% for 10 min`,
            ),
            alarm(
                "db-free-storage",
                "FreeStorageSpace",
                "Minimum",
                "LessThanThreshold",
                t.freeStorageBytes,
                5,
                `Alert: free storage below ${args.freeStoragePercent}% of ${args.allocatedStorageGiB} GiB`,
            ),
            alarm(
                "db-connections",
                "DatabaseConnections",
                "Maximum",
                "GreaterThanThreshold",
                t.connections,
                5,
                `Alert: connections above ${args.connectionsPercent}% of max_connections (${t.connections})`,
            ),
        ];
        this.registerOutputs({});
    }
}
