import type { AccessAction, DataCategory, PurposeOfUse, RoleName } from "../../protocol/index.js";

/**
 * Minimum necessary per role (HIPAA 164.502(b)): which data classes each role may read or write,
 * and for which purposes of use. A request must be covered by at least one of the requester's
 * roles for every category it names.
 */
export interface RoleGrant {
  read: readonly DataCategory[];
  write: readonly DataCategory[];
  purposes: readonly PurposeOfUse[];
  /** Data released to this role must be de-identified. */
  deidentify?: boolean;
}

const CLINICAL: readonly DataCategory[] = [
  "demographics",
  "conditions",
  "observations",
  "medications",
  "allergies",
  "genomics",
  "care-plans",
  "devices",
];

export const DEFAULT_ROLE_POLICY: Readonly<Record<RoleName, RoleGrant>> = {
  clinician: {
    read: [...CLINICAL, "consents"],
    write: ["conditions", "observations", "medications", "allergies", "care-plans", "devices", "consents"],
    purposes: ["TREAT", "ETREAT", "PATRQT"],
  },
  nurse: {
    read: ["demographics", "conditions", "observations", "medications", "allergies", "care-plans", "devices"],
    write: ["observations", "devices"],
    purposes: ["TREAT", "ETREAT"],
  },
  researcher: {
    read: ["demographics", "conditions", "observations", "medications", "allergies", "genomics", "care-plans"],
    write: [],
    purposes: ["HRESCH"],
    deidentify: true,
  },
  admin: { read: ["demographics", "consents", "audit"], write: ["consents"], purposes: ["HOPERAT", "PATRQT"] },
  operator: { read: ["audit"], write: [], purposes: ["HOPERAT"] },
  // Internal service principals (agent:<id>) act for a task that was already authorised upstream.
  agent: {
    read: [...CLINICAL, "consents", "audit"],
    write: [...CLINICAL, "consents"],
    purposes: ["TREAT", "ETREAT", "HOPERAT", "HRESCH"],
  },
};

export type RolePolicy = Readonly<Record<RoleName, RoleGrant>>;

/** Categories no role of the requester may touch for this action and purpose (empty = allowed). */
export function uncoveredCategories(
  policy: RolePolicy,
  roles: readonly RoleName[],
  action: AccessAction,
  purpose: PurposeOfUse,
  categories: readonly DataCategory[],
): DataCategory[] {
  return categories.filter(
    (c) =>
      !roles.some((r) => {
        const g = policy[r];
        return !!g && g.purposes.includes(purpose) && (action === "read" ? g.read : g.write).includes(c);
      }),
  );
}

/** True when every role that grants the request requires de-identification. */
export function mustDeidentify(
  policy: RolePolicy,
  roles: readonly RoleName[],
  action: AccessAction,
  purpose: PurposeOfUse,
  categories: readonly DataCategory[],
): boolean {
  const granting = roles.filter((r) => {
    const g = policy[r];
    return (
      !!g && g.purposes.includes(purpose) && categories.every((c) => (action === "read" ? g.read : g.write).includes(c))
    );
  });
  return granting.length > 0 && granting.every((r) => policy[r].deidentify === true);
}
