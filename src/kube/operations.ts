import { z } from "zod";

/** Admission operations, as a ValidatingAdmissionPolicy's resource rules name them. */
export const OPERATIONS = ["CREATE", "UPDATE", "DELETE", "CONNECT"] as const;
export const operationSchema = z.enum(OPERATIONS);
export type Operation = z.infer<typeof operationSchema>;

/** What a policy matches when it names no operations: objects being created or changed. */
export const DEFAULT_OPERATIONS: readonly Operation[] = ["CREATE", "UPDATE"];
