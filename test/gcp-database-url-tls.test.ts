import { databaseUrlSuite } from "./gcp-database-url";

databaseUrlSuite("gcp-production", "private-ip");
