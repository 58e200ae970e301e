/** Notifications on the committed staging stack (test/notify-suite.ts). */
import { notifySuite } from "./notify-suite";

notifySuite("staging");
