import { evalFhirPath, getSearchParameter, globalSchema, Operator, parseFhirPath, type FhirPathAtom, type SearchRequest } from "@medplum/core";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import type { MemoryRepository } from "@medplum/fhir-router";

/**
 * Narrows the scan of MemoryRepository searches that name a typed reference (`subject=Patient/1`,
 * `patient=Patient/1`): Medplum evaluates the parameter's FHIRPath expression on every stored
 * resource of the type (about 6 ms for one patient's observations among 1,000). A resource can only
 * match `param=Type/id` if the string `Type/id` is one of its string values, or it holds an inline
 * resource `{ resourceType: Type, id }` (Medplum's convertToSearchableReferences), so the scan is run
 * over the resources passing that set-membership test: a superset of the matches, in store order.
 * Medplum still applies every filter, so results (entries, order, total) are unchanged.
 *
 * Sorting: Medplum's comparator re-parses the parameter's FHIRPath and evaluates it for both sides
 * of every comparison (about half of a sorted search). `sortedSearch` runs the same sorts, one
 * per rule in turn, with each resource's key (`JSON.stringify` of the value, compared with
 * localeCompare) computed once per resource version and kept for the next search: same
 * comparisons, same stable order, then the same offset/count.
 */

/** Per stored resource: its version and every string it contains (plus `Type/id` of inline resources). */
interface Tokens {
  version: string | undefined;
  strings: Set<string>;
}

const tokenCache = new WeakMap<Resource, Tokens>();

function collect(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into);
    return;
  }
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.resourceType === "string" && typeof o.id === "string") into.add(`${o.resourceType}/${o.id}`);
    for (const k in o) collect(o[k], into);
  }
}

function tokensOf(r: Resource): Set<string> {
  const version = r.meta ? `${r.meta.versionId ?? ""}@${r.meta.lastUpdated ?? ""}` : undefined;
  const hit = tokenCache.get(r);
  if (hit && hit.version === version) return hit.strings;
  const strings = new Set<string>();
  collect(r, strings);
  tokenCache.set(r, { version, strings });
  return strings;
}

/** The `Type/id` values a matching resource must contain, one per narrowing filter; empty when none applies. */
export function requiredReferences(req: SearchRequest): string[] {
  const out: string[] = [];
  for (const f of req.filters ?? []) {
    if (f.operator !== Operator.EQUALS || f.code.includes(".") || f.code.includes(":")) continue;
    const v = f.value;
    if (!v.includes("/") || v.includes(",")) continue;
    if (getSearchParameter(req.resourceType, f.code)?.type !== "reference") continue;
    out.push(v);
  }
  return out;
}

type SearchSync = (req: SearchRequest) => Bundle;

const atoms = new Map<string, FhirPathAtom>();
function atomFor(expression: string): FhirPathAtom {
  let a = atoms.get(expression);
  if (!a) atoms.set(expression, (a = parseFhirPath(expression)));
  return a;
}

/** Sort keys per resource (`Type/id`), valid for one version; cleared when it grows past the bound. */
const sortKeys = new Map<string, { version: string; keys: Map<string, string> }>();
const MAX_SORT_KEYED_RESOURCES = 200_000;

function sortKeyOf(resource: Resource, expression: string): string {
  const version = resource.meta?.versionId;
  const compute = () => JSON.stringify(evalFhirPath(atomFor(expression), resource));
  if (!version || !resource.id) return compute();
  const ref = `${resource.resourceType}/${resource.id}`;
  let slot = sortKeys.get(ref);
  if (!slot || slot.version !== version) {
    if (!slot && sortKeys.size >= MAX_SORT_KEYED_RESOURCES) sortKeys.clear();
    slot = { version, keys: new Map() };
    sortKeys.set(ref, slot);
  }
  let key = slot.keys.get(expression);
  if (key === undefined) slot.keys.set(expression, (key = compute()));
  return key;
}

/** MemoryRepository.searchSync's sort, offset and count, with sort keys computed once per resource version. */
function sortedSearch(search: SearchSync, req: SearchRequest): Bundle {
  if (!req.sortRules?.length) return search(req);
  const unsorted = search({ ...req, sortRules: undefined, offset: undefined, count: undefined });
  let entry = unsorted.entry ?? [];
  for (const rule of req.sortRules) {
    const expression = globalSchema.types[req.resourceType]?.searchParams?.[rule.code]?.expression;
    if (!expression) continue; // Medplum's comparator returns 0 for every pair: a stable no-op
    const keys = new Map<unknown, string>();
    for (const e of entry) keys.set(e, sortKeyOf(e.resource!, expression));
    const dir = rule.descending ? -1 : 1;
    entry = entry.sort((a, b) => keys.get(a)!.localeCompare(keys.get(b)!) * dir);
  }
  if (req.offset !== undefined) entry = entry.slice(req.offset);
  if (req.count !== undefined) entry = entry.slice(0, req.count);
  return { ...unsorted, entry: entry.length ? entry : undefined };
}

/**
 * Installs the narrowing on one repository. `resources` is the repository's private map (type →
 * id → resource); searchSync is synchronous, so swapping one type's map for the duration of a call
 * cannot be observed by anything else. Searches with chained parameters are left alone.
 */
export function installReferenceIndex(repo: MemoryRepository, resources: Map<string, Map<string, Resource>>): void {
  const internal = repo as unknown as { searchSync?: SearchSync };
  if (typeof internal.searchSync !== "function") throw new Error("@medplum/fhir-router MemoryRepository internals changed: no searchSync to narrow (check reference-index.ts after an upgrade)");
  const unsortedSearch: SearchSync = internal.searchSync.bind(repo);
  const original: SearchSync = (req) => sortedSearch(unsortedSearch, req);
  const narrowed = ((req: SearchRequest) => {
    const required = requiredReferences(req);
    const all = resources.get(req.resourceType);
    if (required.length === 0 || !all || (req.filters ?? []).some((f) => f.code.includes("."))) return original(req);
    const subset = new Map<string, Resource>();
    for (const [id, r] of all) {
      const t = tokensOf(r);
      if (required.every((ref) => t.has(ref))) subset.set(id, r);
    }
    resources.set(req.resourceType, subset);
    try {
      return original(req);
    } finally {
      resources.set(req.resourceType, all);
    }
  }) as SearchSync;
  internal.searchSync = narrowed;
}
