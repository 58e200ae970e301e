/**
 * The pack's policy list. Tests import this module, never index.ts (whose PolicyPack constructor
 * starts the gRPC server the Pulumi CLI talks to).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    imageDigestPinned,
    imageMultiArch,
    imagePlatformMatchesTarget,
    productionBuildsNothing,
} from "./images";
import { envContractComplete, noPlaintextSecrets } from "./env";
import { productionDatabase } from "./production";
import { edgeSecurity } from "./edge";
import { healthChecksConsistent } from "./health";
import { serviceHasAlarms } from "./alarms";
import { secretVersionPinned } from "./secrets";

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    imageMultiArch(),
    imageDigestPinned(),
    imagePlatformMatchesTarget(),
    productionBuildsNothing(),
    envContractComplete(),
    noPlaintextSecrets(),
    secretVersionPinned(),
    productionDatabase(),
    edgeSecurity(),
    healthChecksConsistent(),
    serviceHasAlarms(),
];
