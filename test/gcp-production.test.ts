import { gcpStackSuite } from "./gcp-suite";

gcpStackSuite({
    stack: "gcp-production",
    production: true,
    connection: "private-ip",
    availability: "REGIONAL",
    minInstances: 1,
});
