/** Notifications on the committed gcp-staging stack (test/notify-suite.ts). */
import { notifySuite } from "./notify-suite";

notifySuite("gcp-staging");
