import { databaseUrlSuite } from "./gcp-database-url";

databaseUrlSuite("gcp-staging", "unix-socket");
