import { gcpStackSuite } from "./gcp-suite";

gcpStackSuite({
    stack: "gcp-staging",
    production: false,
    connection: "unix-socket",
    availability: "ZONAL",
    minInstances: 0,
});
