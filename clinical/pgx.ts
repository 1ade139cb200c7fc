import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PgxPhenotype, Pharmacogenomics } from "../protocol/index.js";
import { loadPgx, type CpicRecommendation, type PgxReference } from "./reference/pgx.js";

/**
 * Genotype interpretation: TPMT/NUDT15 diplotypes to CPIC phenotypes and thiopurine starting
 * dose (pharmacogenomics.json), HLA-DQA1*05 carriage and NOD2 variants, from diplotype strings or
 * VCF text. No I/O beyond cached reference reads: pharmacogenomics.json from `referenceDir`
 * (option), and the VCF variant definitions from treatment/genotype-variants.json beside this
 * module.
 */

export interface PgxOptions {
  /** Directory of the reference JSON (default `clinical/reference/data`). */
  referenceDir?: string;
}

const PHENO_WORD: Record<string, PgxPhenotype> = {
  "normal metabolizer": "normal",
  "intermediate metabolizer": "intermediate",
  "possible intermediate metabolizer": "possible-intermediate",
  "poor metabolizer": "poor",
  indeterminate: "indeterminate",
};

function alleles(diplotype: string): [string, string] | null {
  const m = /^\s*(\*[0-9A-Za-z]+)\s*\/\s*(\*[0-9A-Za-z]+)\s*$/.exec(diplotype);
  const [, a, b] = m ?? [];
  return a !== undefined && b !== undefined ? [a.toUpperCase(), b.toUpperCase()] : null;
}

/**
 * Allele function from the reference: alleles in the normal example are normal function; the
 * non-*1 allele of every intermediate example is no function; NUDT15*9 is no function (CPIC
 * update 2019-02 in pharmacogenomics.json).
 */
function alleleFunctions(ref: PgxReference, gene: "TPMT" | "NUDT15"): Map<string, "normal" | "none"> {
  const fn = new Map<string, "normal" | "none">();
  for (const row of ref.phenotypes[gene]) {
    for (const d of row.example_diplotypes ?? []) {
      const a = alleles(d);
      if (!a) continue;
      if (row.phenotype === "normal metabolizer") {
        fn.set(a[0], "normal");
        fn.set(a[1], "normal");
      }
      if (row.phenotype === "intermediate metabolizer") {
        for (const x of a) if (x !== "*1") fn.set(x, "none");
      }
      if (row.phenotype === "poor metabolizer") {
        fn.set(a[0], "none");
        fn.set(a[1], "none");
      }
    }
  }
  if (gene === "NUDT15") fn.set("*9", "none");
  return fn;
}

/** CPIC phenotype of one gene's diplotype; null or empty input = "unknown" (not tested). */
export function phenotypeOf(
  gene: "TPMT" | "NUDT15",
  diplotype: string | null | undefined,
  opts: PgxOptions = {},
): PgxPhenotype {
  if (diplotype == null || diplotype.trim() === "") return "unknown";
  const ref = loadPgx(opts.referenceDir);
  const a = alleles(diplotype);
  if (!a) return "indeterminate";
  const key = (x: [string, string]) => [...x].sort().join("/");
  for (const row of ref.phenotypes[gene]) {
    for (const d of row.example_diplotypes ?? []) {
      const b = alleles(d);
      if (b && key(b) === key(a)) return PHENO_WORD[row.phenotype] ?? "indeterminate";
    }
  }
  const fn = alleleFunctions(ref, gene);
  const f = a.map((x) => fn.get(x) ?? "uncertain");
  const none = f.filter((x) => x === "none").length;
  const normal = f.filter((x) => x === "normal").length;
  if (normal === 2) return "normal";
  if (none === 2) return "poor";
  if (none === 1 && normal === 1) return "intermediate";
  if (none === 1) return "possible-intermediate"; // one no-function + one uncertain (reference row)
  return "indeterminate";
}

function rowMatches(cell: string, p: PgxPhenotype): boolean {
  if (cell === "any") return true;
  if (p === "unknown") return false;
  if (cell === "indeterminate") return p === "indeterminate";
  if (cell.startsWith("intermediate")) return p === "intermediate" || p === "possible-intermediate";
  if (cell.startsWith("normal")) return p === "normal";
  if (cell.startsWith("poor")) return p === "poor";
  return false;
}

/**
 * The CPIC row for a thiopurine and two phenotypes: the most restrictive matching row (lowest
 * upper starting dose; rows without a dose rank last). An untested gene matches the reference's
 * indeterminate row ("status unknown, monitor closely"). Null when nothing applies.
 */
export function cpicThiopurineRow(
  drug: string,
  tpmt: PgxPhenotype,
  nudt15: PgxPhenotype,
  opts: PgxOptions = {},
): { row: CpicRecommendation; index: number } | null {
  const ref = loadPgx(opts.referenceDir);
  const asCell = (p: PgxPhenotype): PgxPhenotype => (p === "unknown" ? "indeterminate" : p);
  let best: { row: CpicRecommendation; index: number } | null = null;
  ref.recommendations.forEach((row, index) => {
    if (row.drug !== drug) return;
    if (!rowMatches(row.tpmt_phenotype, asCell(tpmt)) || !rowMatches(row.nudt15_phenotype, asCell(nudt15))) return;
    const hi = row.starting_dose_percent_of_normal?.[1] ?? Infinity;
    const bestHi = best?.row.starting_dose_percent_of_normal?.[1] ?? Infinity;
    if (!best || hi < bestHi) best = { row, index };
  });
  return best;
}

/**
 * TPMT/NUDT15 diplotypes to the patient summary's pharmacogenomics block (CPIC, via
 * pharmacogenomics.json). `thiopurineDoseFraction` is the upper end of CPIC's starting range;
 * 0 when CPIC advises an alternative in non-malignant disease (poor metabolizer); null when untested.
 * @example interpretThiopurineGenotype({ tpmt: "*1/*3A", nudt15: "*1/*1" }).thiopurineDoseFraction // 0.8
 */
export function interpretThiopurineGenotype(
  input: { tpmt?: string | null; nudt15?: string | null },
  opts: PgxOptions = {},
): Pharmacogenomics {
  const ref = loadPgx(opts.referenceDir);
  const tpmtPhenotype = phenotypeOf("TPMT", input.tpmt, opts);
  const nudt15Phenotype = phenotypeOf("NUDT15", input.nudt15, opts);
  if (tpmtPhenotype === "unknown" && nudt15Phenotype === "unknown") {
    return {
      tpmtPhenotype,
      nudt15Phenotype,
      thiopurineDoseFraction: null,
      recommendation: "TPMT and NUDT15 not tested: test before starting a thiopurine",
      source: "pharmacogenomics.json#cpic_thiopurines.clinical_notes[0]",
    };
  }
  const hit = cpicThiopurineRow("azathioprine", tpmtPhenotype, nudt15Phenotype, opts);
  if (!hit) {
    return {
      tpmtPhenotype,
      nudt15Phenotype,
      thiopurineDoseFraction: null,
      recommendation: "No CPIC row applies",
      source: ref.guideline,
    };
  }
  const r = hit.row.starting_dose_percent_of_normal;
  const poor = tpmtPhenotype === "poor" || nudt15Phenotype === "poor";
  const fraction = r === null ? null : poor ? 0 : r[1] / 100;
  return {
    tpmtPhenotype,
    nudt15Phenotype,
    thiopurineDoseFraction: fraction,
    recommendation: hit.row.recommendation,
    source: `pharmacogenomics.json#cpic_thiopurines.recommendations[${hit.index}]`,
  };
}

// ---- VCF ----

interface VariantDef {
  gene: string;
  rsid: string;
  allele: string;
}

let variantCache: VariantDef[] | undefined;
/** treatment/genotype-variants.json beside this module (not under the reference directory), read once. */
function variantDefs(): VariantDef[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), "treatment", "genotype-variants.json");
  variantCache ??= (JSON.parse(readFileSync(file, "utf8")) as { variants: VariantDef[] }).variants;
  return variantCache;
}

export interface VcfGenotype {
  tpmt: string | null;
  nudt15: string | null;
  hlaDqa105: boolean | null;
  nod2: string[] | null;
}

/**
 * Calls TPMT/NUDT15 diplotypes, HLA-DQA1*05 carriage and NOD2 variants from VCF text (single
 * sample; rsIDs in the ID column; GT in the first sample column). A gene none of whose defining
 * rsIDs appear is "not tested" (null).
 */
export function genotypeFromVcf(vcf: string): VcfGenotype {
  const alt = new Map<string, number>();
  for (const line of vcf.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const cols = line.split("\t");
    const ids = cols[2];
    const format = cols[8];
    const sample = cols[9];
    if (ids === undefined || format === undefined || sample === undefined)
      throw new Error(`VCF line has ${cols.length} columns, expected at least 10: ${line.slice(0, 60)}`);
    const gi = format.split(":").indexOf("GT");
    if (gi < 0) throw new Error(`VCF record ${ids} has no GT field`);
    const gt = sample.split(":")[gi];
    if (gt === undefined) throw new Error(`VCF record ${ids} has no GT value`);
    const calls = gt.split(/[/|]/).filter((x) => x !== ".");
    for (const id of ids.split(";")) alt.set(id, calls.filter((x) => x !== "0").length);
  }
  const defs = variantDefs();
  const count = (gene: string, allele: string): number | undefined => {
    const d = defs.find((x) => x.gene === gene && x.allele === allele);
    return d ? alt.get(d.rsid) : undefined;
  };
  const seen = (gene: string) => defs.some((d) => d.gene === gene && alt.has(d.rsid));

  let tpmt: string | null = null;
  if (seen("TPMT")) {
    const c2 = count("TPMT", "*2") ?? 0;
    const c3b = count("TPMT", "*3B") ?? 0;
    const c3c = count("TPMT", "*3C") ?? 0;
    const a3 = Math.min(c3b, c3c); // both SNPs together: *3A
    const list: string[] = [];
    for (let i = 0; i < a3; i++) list.push("*3A");
    for (let i = 0; i < c3b - a3; i++) list.push("*3B");
    for (let i = 0; i < c3c - a3; i++) list.push("*3C");
    for (let i = 0; i < c2; i++) list.push("*2");
    while (list.length < 2) list.push("*1");
    tpmt = list.length === 2 ? `${list[1]}/${list[0]}`.replace(/^(\*[^/]+)\/\*1$/, "*1/$1") : "indeterminate";
  }
  let nudt15: string | null = null;
  if (seen("NUDT15")) {
    const c3 = count("NUDT15", "*3") ?? 0;
    nudt15 = c3 === 0 ? "*1/*1" : c3 === 1 ? "*1/*3" : "*3/*3";
  }
  const hla = count("HLA-DQA1*05", "carrier");
  const nod2 = seen("NOD2")
    ? defs.filter((d) => d.gene === "NOD2" && (alt.get(d.rsid) ?? 0) > 0).map((d) => d.allele)
    : null;
  return { tpmt, nudt15, hlaDqa105: hla === undefined ? null : hla > 0, nod2 };
}
