/** Notifications on the committed vm-staging stack (test/notify-suite.ts). */
import { notifySuite } from "./notify-suite";

notifySuite("vm-staging");
