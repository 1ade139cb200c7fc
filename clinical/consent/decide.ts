import type { AccessRequest, ConsentDecision, ConsentRecord, Obligation } from "../../protocol/index.js";
import { DEFAULT_ROLE_POLICY, mustDeidentify, uncoveredCategories, type RolePolicy } from "./policy.js";

export interface DecideOptions {
  policy?: RolePolicy;
  /** Research use needs the patient's active opt-in (a permit consent for HRESCH). @defaultValue true */
  researchRequiresOptIn?: boolean;
}

const BREAK_GLASS = "ETREAT";

/** Whether a consent is in force at `now`: active and inside its period. */
export function inForce(c: ConsentRecord, now: Date): boolean {
  if (c.status !== "active") return false;
  const t = now.getTime();
  if (c.period?.start && Date.parse(c.period.start) > t) return false;
  // A date-only end covers that whole day.
  if (c.period?.end && endOf(c.period.end) < t) return false;
  return true;
}

const endOf = (iso: string) => (/^\d{4}-\d{2}-\d{2}$/.test(iso) ? Date.parse(`${iso}T23:59:59.999Z`) : Date.parse(iso));

/** Whether a consent's provision applies to this request (empty lists match anything). */
export function applies(c: ConsentRecord, req: AccessRequest): boolean {
  const any = <T>(list: readonly T[], pred: (x: T) => boolean) => list.length === 0 || list.some(pred);
  return (
    c.patientId === req.patientId &&
    any(c.actorRoles, (r) => req.roles.includes(r)) &&
    any(c.actorSubjects, (s) => s === req.requester) &&
    any(c.purposes, (p) => p === req.purposeOfUse) &&
    any(c.categories, (k) => req.categories.includes(k)) &&
    any(c.actions, (a) => a === req.action)
  );
}

/**
 * The access decision for one request, from the role policy (minimum necessary) and the patient's
 * consents. Pure: the caller loads consents and audits the result.
 *
 * Order: a break-the-glass request without a reason is refused; the role policy must cover every
 * category; an in-force deny consent refuses unless this is break-the-glass (then permitted with
 * a review obligation); research needs an in-force opt-in; researchers get de-identified data only.
 */
export function decideAccess(
  req: AccessRequest,
  consents: readonly ConsentRecord[],
  now: Date,
  opts: DecideOptions = {},
): ConsentDecision {
  const policy = opts.policy ?? DEFAULT_ROLE_POLICY;
  const base = { patientId: req.patientId, categories: req.categories, breakGlass: false, consentRefs: [] as string[] };
  const deny = (reason: string, consentRefs: string[] = []): ConsentDecision => ({
    ...base,
    permit: false,
    reason,
    obligations: [],
    consentRefs,
  });
  const breakGlass = req.purposeOfUse === BREAK_GLASS;
  if (breakGlass && !req.reason?.trim()) return deny("break-the-glass (purpose ETREAT) requires a reason");

  const uncovered = uncoveredCategories(policy, req.roles, req.action, req.purposeOfUse, req.categories);
  if (uncovered.length > 0) {
    return deny(
      `role ${req.roles.join("/")} may not ${req.action} ${uncovered.join(", ")} for purpose ${req.purposeOfUse} (minimum necessary)`,
    );
  }
  const obligations: Obligation[] = mustDeidentify(policy, req.roles, req.action, req.purposeOfUse, req.categories)
    ? ["de-identify"]
    : [];
  const relevant = consents.filter((c) => applies(c, req));
  const active = relevant.filter((c) => inForce(c, now));
  const refs = (cs: readonly ConsentRecord[]) => cs.map((c) => `Consent/${c.id ?? "unsaved"}`);
  const denies = active.filter((c) => c.decision === "deny");
  if (denies.length > 0) {
    if (breakGlass) {
      return {
        ...base,
        permit: true,
        breakGlass: true,
        reason: `break-the-glass overrides patient consent: ${req.reason}`,
        obligations: [...obligations, "break-glass-review"],
        consentRefs: refs(denies),
      };
    }
    return deny(
      `patient consent denies ${req.action} of ${req.categories.join(", ")} for ${req.purposeOfUse}`,
      refs(denies),
    );
  }
  if (req.purposeOfUse === "HRESCH" && (opts.researchRequiresOptIn ?? true)) {
    const permits = active.filter((c) => c.decision === "permit" && c.purposes.includes("HRESCH"));
    if (permits.length === 0) {
      const lapsed = relevant.filter((c) => c.decision === "permit" && c.purposes.includes("HRESCH"));
      const why = lapsed.some((c) => c.status !== "active")
        ? "was revoked"
        : lapsed.length > 0
          ? "has expired or is not yet valid"
          : "is not on record";
      return deny(`research use needs the patient's opt-in consent, which ${why}`, refs(lapsed));
    }
    return {
      ...base,
      permit: true,
      reason: "research opt-in on record; release de-identified data only",
      obligations,
      consentRefs: refs(permits),
    };
  }
  const reason = breakGlass
    ? `break-the-glass access: ${req.reason}`
    : `permitted for ${req.purposeOfUse} by role policy${active.length ? " and patient consent" : ""}`;
  return {
    ...base,
    permit: true,
    breakGlass,
    reason,
    obligations: breakGlass ? [...obligations, "break-glass-review"] : obligations,
    consentRefs: refs(active.filter((c) => c.decision === "permit")),
  };
}
