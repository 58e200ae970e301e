/** The CrossGuard pack: only constructs the PolicyPack from the list in policies.ts. */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("service-deploy", { policies });
