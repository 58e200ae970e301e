/**
 * The pack's policy list. Tests import this module, never index.ts (whose PolicyPack constructor
 * starts the gRPC server the Pulumi CLI talks to).
 */
import type { Policy } from "@pulumi/policy";

export const policies: Policy[] = [];
