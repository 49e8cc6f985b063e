/**
 * Who may call whom. Admin may call everything; an agent principal may call an agent whose
 * `acl.allow` lists it or "*". The same check guards every path that reaches an agent.
 */
import { type Failure, failure } from "../message/errors";

/** The part of an agent's entry (lib/registry/entry.ts) the check reads. */
export interface AclHolder {
  acl: { allow: readonly string[] };
}

/** `from` is the calling agent's name, or null for admin. */
export function mayCall(from: string | null, entry: AclHolder): boolean {
  if (from === null) return true;
  return entry.acl.allow.includes("*") || entry.acl.allow.includes(from);
}

/** The `forbidden` failure a call from `from` to `entry` gets when the ACL refuses it, else null: every path to an agent refuses in these words. */
export function callRefusal(from: string | null, entry: AclHolder & { name: string }): Failure | null {
  return mayCall(from, entry) ? null : failure("forbidden", `agent ${from} may not call ${entry.name}`);
}
