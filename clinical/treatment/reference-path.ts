/** Reads `a.b[0].c` from a JSON value; undefined when any step is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    const m = /^([A-Za-z0-9_]+)(?:\[(\d+)\])?$/.exec(part);
    const key = m?.[1];
    if (!m || key === undefined || cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
    if (m[2] !== undefined) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(m[2])];
    }
  }
  return cur;
}

/** A number at `path`, or an error naming the path (reference data must have it). */
export function numberAt(obj: unknown, path: string, what: string): number {
  const v = getPath(obj, path);
  if (typeof v !== "number") throw new Error(`${what}: no number at ${path}`);
  return v;
}

/** Upper number of the first "a-b" range in a text, e.g. "weekly taper over 8-12 weeks" -> 12. */
export function upperOfRange(text: string): number | undefined {
  const m = /(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)/.exec(text);
  return m ? Number(m[2]) : undefined;
}
