import { createHash } from "node:crypto";
import type { SafeHarborReference } from "../reference/safe-harbor.js";

/**
 * HIPAA Safe Harbor de-identification (45 CFR 164.514(b)(2), rules in safe-harbor.json) of one
 * patient's FHIR resources, as plain JSON. Identifiers are removed or replaced; clinical codes and
 * values stay. Dates move by one per-patient offset, so intervals between them stay true.
 */

/** Extensions written on the de-identified Patient (read by the EHR summary builder). */
export const AGE_EXTENSION = "https://hms-a2a.dev/fhir/StructureDefinition/age-years";
export const AGE_TOP_CODED_EXTENSION = "https://hms-a2a.dev/fhir/StructureDefinition/age-top-coded";
export const PSEUDONYM_SYSTEM = "https://hms-a2a.dev/fhir/sid/pseudonym";
export const REDACTED = "[redacted]";
/** Largest date shift in days (either way). */
export const MAX_DATE_SHIFT_DAYS = 180;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON of any resource type
type Obj = Record<string, any>;

export interface DeidOptions {
  /** The patient's pseudonym (random surrogate from the PseudonymStore). */
  pseudonym: string;
  safeHarbor: SafeHarborReference;
  /** "Now" for the age. */
  asOf: Date;
  /** Days to shift every date; default derived from the pseudonym (random, so not from the patient). */
  dateOffsetDays?: number;
  /** The patient's real id, so `Patient/<id>` references map to the pseudonym even without the Patient resource. */
  patientId?: string;
}

export interface DeidResult {
  resources: Obj[];
  pseudonym: string;
  dateOffsetDays: number;
  /** Safe Harbor identifier keys (A-R) this output had to act on. */
  applied: string[];
}

/** A stable non-zero offset in [-MAX, MAX] days from the pseudonym. */
export function dateOffsetFor(pseudonym: string): number {
  const n = createHash("sha256").update(`date-shift:${pseudonym}`).digest().readUInt32BE(0);
  const span = MAX_DATE_SHIFT_DAYS * 2;
  const v = (n % span) - MAX_DATE_SHIFT_DAYS;
  return v >= 0 ? v + 1 : v;
}

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/;
const YEAR_MONTH = /^(\d{4})-(\d{2})$/;
/** Keys whose string values are codes or URIs, never dates to shift. */
const NOT_DATES = new Set(["code", "system", "version", "url", "reference", "id", "valueCode", "unit"]);
/** Free-text and locator fields dropped from every resource (may name the person or hold record ids). */
const DROP_EVERYWHERE = new Set([
  "text",
  "identifier",
  "meta",
  "note",
  "contained",
  "photo",
  "contact",
  "link",
  "generalPractitioner",
  "managingOrganization",
]);
/** Device identifiers (Safe Harbor M) as FHIR names them. */
const DEVICE_FIELDS = [
  "udiCarrier",
  "serialNumber",
  "distinctIdentifier",
  "deviceName",
  "lotNumber",
  "url",
  "modelNumber",
];

/** Identifier shapes redacted from any free text: e-mail (F), URL (N), IPv4 (O), SSN (G), US phone/fax (D, E). */
const PATTERNS: readonly [string, RegExp][] = [
  ["F", /[^\s@"]+@[^\s@"]+\.[a-z]{2,}/gi],
  ["N", /\b(?:https?|ftp):\/\/[^\s"]+/gi],
  ["O", /\b(?:\d{1,3}\.){3}\d{1,3}\b/g],
  ["G", /\b\d{3}-\d{2}-\d{4}\b/g],
  ["D", /(?:\+1[-. ]?)?\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b/g],
];
/** Resource types that only describe identifiable people around the patient (relatives, household). */
const DROPPED_TYPES = new Set(["RelatedPerson"]);

export function shiftDate(value: string, days: number): string {
  const m = FULL_DATE.exec(value);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10) + (m[4] ?? "");
  }
  const ym = YEAR_MONTH.exec(value);
  if (ym) {
    const d = new Date(Date.UTC(Number(ym[1]), Number(ym[2]) - 1, 15));
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 7);
  }
  return value;
}

/** The ZIP as Safe Harbor allows it: first three digits, or "000" for a restricted prefix. */
export function zip3(zip: string, ref: SafeHarborReference): string {
  const z = zip.replace(/\D/g, "").slice(0, 3);
  if (z.length < 3 || ref.restrictedZip3.has(z)) return ref.zipReplacement;
  return z;
}

/** Whole years from a birth date (ISO date or date-time; its date part) to `asOf`, in UTC; never negative. */
export function ageAt(birthDate: string, asOf: Date): number {
  const b = new Date(`${birthDate.slice(0, 10)}T00:00:00Z`);
  let y = asOf.getUTCFullYear() - b.getUTCFullYear();
  if (
    asOf.getUTCMonth() < b.getUTCMonth() ||
    (asOf.getUTCMonth() === b.getUTCMonth() && asOf.getUTCDate() < b.getUTCDate())
  )
    y--;
  return Math.max(0, y);
}

/** Every identifying string in the input, so a final pass can redact stray copies in any field. */
function collectIdentifiers(resources: readonly Obj[]): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === "string" && v.trim().length >= 3) out.add(v.trim());
  };
  for (const r of resources) {
    add(r.id);
    for (const i of (r.identifier as Obj[] | undefined) ?? []) add(i.value);
    if (r.resourceType === "Patient") {
      for (const n of (r.name as Obj[] | undefined) ?? []) {
        add(n.family);
        add(n.text);
        for (const g of (n.given as Json[] | undefined) ?? []) add(g);
      }
      for (const t of (r.telecom as Obj[] | undefined) ?? []) add(t.value);
      for (const a of (r.address as Obj[] | undefined) ?? []) {
        for (const l of (a.line as Json[] | undefined) ?? []) add(l);
        add(a.city);
        add(a.district);
        add(a.postalCode);
        add(a.text);
      }
    }
    if (r.resourceType === "Device") {
      add(r.serialNumber);
      add(r.lotNumber);
      add(r.distinctIdentifier);
      for (const u of (r.udiCarrier as Obj[] | undefined) ?? []) {
        add(u.deviceIdentifier);
        add(u.carrierHRF);
        add(u.carrierAIDC);
      }
      for (const d of (r.deviceName as Obj[] | undefined) ?? []) add(d.name);
    }
  }
  return out;
}

/**
 * De-identifies one patient's resources. Resource ids become `<pseudonym>-<type>-<n>` and every
 * reference is rewritten to match. The Patient loses name, telecom, extensions and the fields
 * dropped from every resource (DROP_EVERYWHERE); its address is cut to state, ZIP3 and country; it
 * gains the pseudonym identifier and the age extensions (age top-coded above 89); birth date (none
 * above 89) and deceased date are shifted. Its other fields (e.g. gender, maritalStatus,
 * communication) are kept, with dates shifted, free text scrubbed and references rewritten.
 */
export function deidentifyResources(input: readonly Obj[], opts: DeidOptions): DeidResult {
  const { pseudonym } = opts;
  const offset = opts.dateOffsetDays ?? dateOffsetFor(pseudonym);
  const applied = new Set<string>();
  const identifiers = collectIdentifiers(input);
  // Stable surrogate ids: by type, in input order.
  const idMap = new Map<string, string>();
  const counters = new Map<string, number>();
  if (opts.patientId) {
    idMap.set(`Patient/${opts.patientId}`, pseudonym);
    identifiers.add(opts.patientId);
  }
  for (const r of input) {
    const type = String(r.resourceType);
    const key = `${type}/${String(r.id)}`;
    if (type === "Patient") idMap.set(key, pseudonym);
    else {
      const n = counters.get(type) ?? 0;
      counters.set(type, n + 1);
      idMap.set(key, `${pseudonym}-${type.toLowerCase()}-${n}`);
    }
  }
  const scrubString = (s: string): string => {
    let out = s;
    for (const [kind, re] of PATTERNS) {
      if (re.test(out)) {
        applied.add(kind);
        out = out.replace(re, REDACTED);
      }
      re.lastIndex = 0;
    }
    for (const id of identifiers) {
      if (out.includes(id)) {
        out = out.split(id).join(REDACTED);
        applied.add("R");
      }
    }
    return out;
  };
  const walk = (v: Json, key: string): Json => {
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v && typeof v === "object") {
      const o: Obj = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "reference" && typeof x === "string") {
          const mapped = idMap.get(x);
          if (mapped) o[k] = `${x.split("/")[0]}/${mapped}`;
          else if (/^(urn:|#)/.test(x)) o[k] = x;
          else applied.add("R"); // a reference to a resource outside the set names a record: drop it
          continue;
        }
        if (k === "display" && key !== "coding" && v.reference !== undefined) continue; // reference displays hold names
        o[k] = walk(x, k);
      }
      return o;
    }
    if (typeof v === "string") {
      if (!NOT_DATES.has(key) && (FULL_DATE.test(v) || YEAR_MONTH.test(v))) {
        applied.add("C");
        return shiftDate(v, offset);
      }
      return NOT_DATES.has(key) && key !== "id" ? v : scrubString(v);
    }
    return v;
  };

  const out: Obj[] = [];
  for (const r of input) {
    const type = String(r.resourceType);
    if (DROPPED_TYPES.has(type)) {
      applied.add("A");
      continue;
    }
    const copy: Obj = {};
    for (const [k, v] of Object.entries<unknown>(r)) {
      if (DROP_EVERYWHERE.has(k)) {
        if (k === "identifier") applied.add("H");
        continue;
      }
      if (type === "Device" && DEVICE_FIELDS.includes(k)) {
        applied.add("M");
        continue;
      }
      if (
        type === "Patient" &&
        ["name", "telecom", "address", "birthDate", "deceasedDateTime", "extension"].includes(k)
      )
        continue;
      copy[k] = v;
    }
    const d = walk(copy, "") as Obj;
    d.id = idMap.get(`${type}/${String(r.id)}`) ?? `${pseudonym}-${type.toLowerCase()}`;
    if (type === "Patient") Object.assign(d, deidPatient(r, opts, offset, applied));
    out.push(d);
  }
  return { resources: out, pseudonym, dateOffsetDays: offset, applied: [...applied].sort() };
}

function deidPatient(p: Obj, opts: DeidOptions, offset: number, applied: Set<string>): Obj {
  const { pseudonym, safeHarbor, asOf } = opts;
  const extra: Obj = { identifier: [{ system: PSEUDONYM_SYSTEM, value: pseudonym }] };
  if (p.name) applied.add("A");
  if ((p.telecom as Obj[] | undefined)?.some((t) => t.system === "phone")) applied.add("D");
  if ((p.telecom as Obj[] | undefined)?.some((t) => t.system === "fax")) applied.add("E");
  if ((p.telecom as Obj[] | undefined)?.some((t) => t.system === "email")) applied.add("F");
  if ((p.identifier as Obj[] | undefined)?.some((i) => String(i.system ?? "").includes("ssn"))) applied.add("G");
  const addresses = (p.address as Obj[] | undefined) ?? [];
  if (addresses.length) {
    applied.add("B");
    extra.address = addresses.map((a) => ({
      ...(typeof a.state === "string" ? { state: a.state } : {}),
      ...(typeof a.postalCode === "string" ? { postalCode: zip3(a.postalCode, safeHarbor) } : {}),
      ...(typeof a.country === "string" ? { country: a.country } : {}),
    }));
  }
  const birthDate = typeof p.birthDate === "string" ? p.birthDate : undefined;
  if (birthDate) {
    applied.add("C");
    const age = ageAt(birthDate, asOf);
    const top = age > safeHarbor.ageOver;
    extra.extension = [
      { url: AGE_EXTENSION, valueInteger: top ? safeHarbor.ageOver + 1 : age },
      { url: AGE_TOP_CODED_EXTENSION, valueBoolean: top },
    ];
    // Above 89 even the year would reveal the age: no birth date at all.
    if (!top) extra.birthDate = shiftDate(birthDate, offset);
  }
  if (typeof p.deceasedDateTime === "string") extra.deceasedDateTime = shiftDate(p.deceasedDateTime, offset);
  return extra;
}
