/** `secrets`: how each declared secret gets its value. */
import { z } from "zod";
import { strict } from "./common";

export const secretSchema = z.discriminatedUnion(
    "source",
    [
        /** The value is a Pulumi config secret of the same name: `pulumi config set --secret <name> <value>`. */
        strict({ source: z.literal("config") }),
        /** The value is generated once and kept in state (as a secret). */
        strict({ source: z.literal("generated"), length: z.number().int().min(16).max(128).default(48) }),
    ],
    { error: () => 'must be { source: "config" } or { source: "generated", length?: number }' },
);
export type SecretDecl = z.infer<typeof secretSchema>;
