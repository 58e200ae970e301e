/** `alarms`: the thresholds of the alarms every target raises. */
import { z } from "zod";
import { percent, positiveInt, strict } from "./common";

export const alarmsSchema = strict({
    /** E-mail addresses subscribed to the alarm topic. @default [] */
    emails: z.array(z.email()).default([]),
    /**
     * Replaced by `notifications.destinations`: any entry is a config error that says how to move
     * it (an SNS https subscription to a Slack URL never confirms). @default []
     */
    webhooks: z.array(z.string()).default([]),
    /** Alert when 5xx responses exceed this share of requests... @default 5 */
    errorRatePercent: percent.default(5),
    /** ...for this many minutes. @default 5 */
    errorRateMinutes: positiveInt(60).default(5),
    /** Alert when p95 latency exceeds this... @default 500 */
    p95LatencyMs: z.number().int().min(1).default(500),
    /** ...for this many minutes. @default 10 */
    p95LatencyMinutes: positiveInt(60).default(10),
    /** @default 80 */
    cpuPercent: percent.default(80),
    /** @default 85 */
    memoryPercent: percent.default(85),
    /** @default 80 */
    databaseCpuPercent: percent.default(80),
    /** Alert when free database storage falls below this share of the allocated storage. @default 10 */
    databaseFreeStoragePercent: percent.default(10),
    /** Alert when connections exceed this share of the instance's max_connections. @default 80 */
    databaseConnectionsPercent: percent.default(80),
});

// ---------------------------------------------------------------------------------------------
// Notifications: who hears about alarms, rollbacks and recoveries, on every target
// ---------------------------------------------------------------------------------------------
