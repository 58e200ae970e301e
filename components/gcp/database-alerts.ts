/** Cloud Monitoring alerts of the Cloud SQL instance: CPU and disk (thresholds from the alarms config). */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

export interface DatabaseAlertsArgs {
    project: string;
    /** `project:instance`, the `database_id` label of cloudsql_database. */
    databaseId: pulumi.Input<string>;
    channels: pulumi.Input<pulumi.Input<string>[]>;
    cpuPercent: number;
    freeStoragePercent: number;
}

export class DatabaseAlerts extends pulumi.ComponentResource {
    constructor(name: string, args: DatabaseAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:DatabaseAlerts", name, {}, opts);
        const policy = (
            role: string,
            metric: string,
            threshold: number,
            minutes: number,
            displayName: string,
        ) =>
            new gcp.monitoring.AlertPolicy(
                `${name}-${role}`,
                {
                    project: args.project,
                    displayName,
                    combiner: "OR",
                    notificationChannels: args.channels,
                    conditions: [
                        {
                            displayName,
                            conditionThreshold: {
                                filter: pulumi.interpolate`resource.type = "cloudsql_database" AND resource.labels.database_id = "${args.databaseId}" AND metric.type = "cloudsql.googleapis.com/database/${metric}"`,
                                aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: "ALIGN_MEAN" }],
                                comparison: "COMPARISON_GT",
                                thresholdValue: threshold,
                                duration: `${minutes * 60}s`,
                            },
                        },
                    ],
                },
                { parent: this },
            );
        policy(
            "db-cpu",
            "cpu/utilization",
            args.cpuPercent / 100,
            10,
            `database CPU above ${args.cpuPercent}% for 10 min`,
        );
        policy(
            "db-disk",
            "disk/utilization",
            1 - args.freeStoragePercent / 100,
            5,
            `database disk above ${100 - args.freeStoragePercent}% used`,
        );
        this.registerOutputs({});
    }
}
