/** `database`: the PostgreSQL schema, and its defaults per environment. */
import { z } from "zod";
import type { Target } from "./common";
import { strict } from "./common";

export const databaseSchema = strict({
    /** PostgreSQL major version. @default "16" */
    engineVersion: z
        .string()
        .regex(/^\d{2}(\.\d+)?$/, 'must be a PostgreSQL version such as "16" or "16.4"')
        .default("16"),
    /** @default "db.t4g.micro" in staging, "db.r6g.xlarge" in production */
    instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class such as db.r6g.xlarge")
        .optional(),
    /** Cloud SQL machine tier (gcp). @default "db-g1-small" in staging, "db-custom-2-7680" in production */
    tier: z
        .string()
        .regex(/^db-[a-z0-9-]+$/, "must be a Cloud SQL tier such as db-custom-2-7680")
        .optional(),
    /** @default 20 */
    allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
    /** Storage autoscaling ceiling. @default 100 */
    maxAllocatedStorageGiB: z.number().int().min(20).max(65536).default(100),
    /** @default false in staging, true in production */
    multiAz: z.boolean().optional(),
    /** @default 3 in staging, 14 in production */
    backupRetentionDays: z.number().int().min(1).max(35).optional(),
    /** @default false in staging, true in production */
    deletionProtection: z.boolean().optional(),
    /** @default false in staging, true in production */
    performanceInsights: z.boolean().optional(),
    /** Database name. @default "app" */
    name: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier (a-z, 0-9, _)")
        .default("app"),
    /** Application user. @default "app" */
    username: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,15}$/, "must be 1-16 characters a-z, 0-9, _")
        .default("app"),
});

export interface DatabaseConfig {
    /** The target the database lives on: that of the services reading it. */
    target: Target;
    engineVersion: string;
    instanceClass: string;
    tier: string;
    allocatedStorageGiB: number;
    maxAllocatedStorageGiB: number;
    multiAz: boolean;
    backupRetentionDays: number;
    deletionProtection: boolean;
    performanceInsights: boolean;
    name: string;
    username: string;
}

export function databaseDefaults(
    production: boolean,
): Omit<
    DatabaseConfig,
    "target" | "engineVersion" | "allocatedStorageGiB" | "maxAllocatedStorageGiB" | "name" | "username"
> {
    return production
        ? {
              instanceClass: "db.r6g.xlarge",
              tier: "db-custom-2-7680",
              multiAz: true,
              backupRetentionDays: 14,
              deletionProtection: true,
              performanceInsights: true,
          }
        : {
              instanceClass: "db.t4g.micro",
              tier: "db-g1-small",
              multiAz: false,
              backupRetentionDays: 3,
              deletionProtection: false,
              performanceInsights: false,
          };
}
