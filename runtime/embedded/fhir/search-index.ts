import {
  evalFhirPath,
  getSearchParameter,
  globalSchema,
  Operator,
  parseFhirPath,
  type FhirPathAtom,
  type SearchRequest,
} from "@medplum/core";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import type { MemoryRepository } from "@medplum/fhir-router";
import { HmsError } from "../../../protocol/index.js";

/**
 * Narrows the scan of MemoryRepository searches that name a typed reference (`subject=Patient/1`,
 * `patient=Patient/1`) or a token with its system (`identifier=urn:x|42`, which every conditional
 * create of a device reading runs). Medplum evaluates the parameter's FHIRPath expression on every
 * stored resource of the type (about 6 ms for one patient's observations among 1,000, and a
 * conditional create per reading made writes slow down as the store grew). A resource can only
 * match `param=Type/id` if the string `Type/id` is one of its string values, or it holds an inline
 * resource `{ resourceType: Type, id }` (Medplum's convertToSearchableReferences), and
 * `param=system|code` only if both are among its strings, ignoring case (see requiredStrings). An
 * inverted index (lower-cased string → ids, per type), kept in step with every write to the
 * repository's maps, gives the resources holding all the required strings; the search then runs
 * over just those, in store order: a superset of the matches, so Medplum still applies every filter
 * and the results (entries, order, total) are unchanged.
 *
 * Sorting: Medplum's comparator re-parses the parameter's FHIRPath and evaluates it for both sides
 * of every comparison (about half of a sorted search). `sortedSearch` runs the same sorts, one
 * per rule in turn, with each resource's key (`JSON.stringify` of the value, compared with
 * localeCompare) computed once per resource version and kept for the next search: same
 * comparisons, same stable order, then the same offset/count.
 */

/** Strings longer than this are not indexed (narrative, attachments); a filter on one is not narrowed. */
const MAX_INDEXED_LENGTH = 256;

function collect(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (value.length <= MAX_INDEXED_LENGTH) into.add(value.toLowerCase());
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into);
    return;
  }
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.resourceType === "string" && typeof o.id === "string")
      into.add(`${o.resourceType}/${o.id}`.toLowerCase());
    for (const k in o) collect(o[k], into);
  }
}

/** One resource type's index: lower-cased string → ids, and per id its strings and store position. */
class TypeIndex {
  private readonly byString = new Map<string, Set<string>>();
  private readonly byId = new Map<string, { strings: Set<string>; position: number }>();
  private next = 0;

  put(id: string, resource: Resource): void {
    const old = this.byId.get(id);
    if (old) this.unlink(id, old.strings);
    const strings = new Set<string>();
    collect(resource, strings);
    for (const x of strings) {
      let ids = this.byString.get(x);
      if (!ids) this.byString.set(x, (ids = new Set()));
      ids.add(id);
    }
    // Map order: a new key goes last, an updated one keeps its place.
    this.byId.set(id, { strings, position: old ? old.position : this.next++ });
  }

  remove(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.unlink(id, old.strings);
    this.byId.delete(id);
  }

  clear(): void {
    this.byString.clear();
    this.byId.clear();
  }

  private unlink(id: string, strings: Set<string>): void {
    for (const x of strings) {
      const ids = this.byString.get(x);
      ids?.delete(id);
      if (ids?.size === 0) this.byString.delete(x);
    }
  }

  /** Ids of the resources holding every one of `required` (lower-cased), in store order. */
  holding(required: readonly string[]): string[] {
    const sets = required.map((x) => this.byString.get(x) ?? new Set<string>()).sort((a, b) => a.size - b.size);
    const [smallest] = sets;
    if (!smallest) throw new HmsError("INTERNAL", "search index: holding() needs at least one string");
    const out: string[] = [];
    for (const id of smallest) if (sets.every((set) => set.has(id))) out.push(id);
    return out.sort((a, b) => this.byId.get(a)!.position - this.byId.get(b)!.position);
  }
}

/**
 * The lower-cased strings a resource must contain to match, one or two per narrowing filter (empty
 * when none applies):
 * - `param=Type/id` on a reference parameter: `Type/id` (or an inline resource of it);
 * - `param=system|code` on a token parameter, both parts given: the token's system and code are
 *   string elements of the resource (Identifier.system/value, Coding.system/code,
 *   ContactPoint.system/value), equal ignoring case (Medplum compares tokens so). `param=code` alone
 *   is left to the scan (its token can come from a non-string element, e.g. a boolean).
 * Lower-casing a reference only widens the candidates; Medplum's own filter stays exact.
 */
export function requiredStrings(req: SearchRequest): string[] {
  const out: string[] = [];
  for (const f of req.filters ?? []) {
    if (f.operator !== Operator.EQUALS || f.code.includes(".") || f.code.includes(":")) continue;
    const v = f.value;
    if (v.includes(",") || v.includes("\\")) continue;
    const type = getSearchParameter(req.resourceType, f.code)?.type;
    if (type === "reference" && v.includes("/")) out.push(v.toLowerCase());
    else if (type === "token") {
      const parts = v.split("|");
      if (parts.length === 2 && parts[0] && parts[1]) out.push(parts[0].toLowerCase(), parts[1].toLowerCase());
    }
  }
  return out.filter((x) => x.length <= MAX_INDEXED_LENGTH);
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
 * Installs the index and the narrowing on one repository. `resources` is the repository's private
 * map (type → id → resource): every per-type map in it, present or added later (Medplum adds one per
 * new type; the engine's transaction rollback puts copies back), gets its set/delete/clear wrapped so
 * the index follows each write. searchSync is synchronous, so swapping one type's map for the
 * candidates for the duration of a call cannot be observed by anything else. Searches with chained
 * parameters are left alone.
 */
export function installSearchIndex(repo: MemoryRepository, resources: Map<string, Map<string, Resource>>): void {
  const internal = repo as unknown as { searchSync?: SearchSync };
  if (typeof internal.searchSync !== "function")
    throw new Error(
      "@medplum/fhir-router MemoryRepository internals changed: no searchSync to narrow (check search-index.ts after an upgrade)",
    );
  const indexes = new Map<string, TypeIndex>();
  const track = (type: string, map: Map<string, Resource>): Map<string, Resource> => {
    const index = new TypeIndex();
    indexes.set(type, index);
    for (const [id, r] of map) index.put(id, r);
    map.set = function (id: string, r: Resource) {
      index.put(id, r);
      return Map.prototype.set.call(this, id, r) as Map<string, Resource>;
    };
    map.delete = function (id: string) {
      index.remove(id);
      return Map.prototype.delete.call(this, id);
    };
    map.clear = function () {
      index.clear();
      Map.prototype.clear.call(this);
    };
    return map;
  };
  const setType = Map.prototype.set.bind(resources) as (
    type: string,
    map: Map<string, Resource>,
  ) => Map<string, Map<string, Resource>>;
  for (const [type, map] of resources) track(type, map);
  resources.set = (type: string, map: Map<string, Resource>) => setType(type, track(type, map));
  resources.delete = (type: string) => {
    indexes.delete(type);
    return Map.prototype.delete.call(resources, type);
  };
  resources.clear = () => {
    indexes.clear();
    Map.prototype.clear.call(resources);
  };

  const unsortedSearch: SearchSync = internal.searchSync.bind(repo);
  const original: SearchSync = (req) => sortedSearch(unsortedSearch, req);
  const narrowed = ((req: SearchRequest) => {
    const required = requiredStrings(req);
    const all = resources.get(req.resourceType);
    const index = indexes.get(req.resourceType);
    if (required.length === 0 || !all || !index || (req.filters ?? []).some((f) => f.code.includes(".")))
      return original(req);
    const subset = new Map<string, Resource>();
    for (const id of index.holding(required)) subset.set(id, all.get(id)!);
    // Swapped in without tracking (the index already holds these); put back the same way.
    setType(req.resourceType, subset);
    try {
      return original(req);
    } finally {
      setType(req.resourceType, all);
    }
  }) as SearchSync;
  internal.searchSync = narrowed;
}
