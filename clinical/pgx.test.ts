import { describe, expect, it } from "vitest";
import type { PgxPhenotype } from "../protocol/clinical/patient.js";
import { cpicThiopurineRow, genotypeFromVcf, interpretThiopurineGenotype, phenotypeOf } from "./pgx.js";
import { loadPgx } from "./reference/pgx.js";

describe("TPMT/NUDT15 interpretation", () => {
  it.each([
    ["TPMT", "*1/*1", "normal"],
    ["TPMT", "*1/*3A", "intermediate"],
    ["TPMT", "*3A/*1", "intermediate"],
    ["TPMT", "*3A/*3A", "poor"],
    ["TPMT", "*2/*3C", "poor"],
    ["TPMT", "*1/*99", "indeterminate"],
    ["TPMT", "*3A/*99", "possible-intermediate"],
    ["TPMT", null, "unknown"],
    ["NUDT15", "*1/*3", "intermediate"],
    ["NUDT15", "*3/*3", "poor"],
    ["NUDT15", "*1/*9", "intermediate"],
    ["NUDT15", "garbage", "indeterminate"],
  ] as const)("%s %s is %s", (gene, diplotype, expected) => {
    expect(phenotypeOf(gene, diplotype)).toBe(expected);
  });

  it("gives the full dose to two normal metabolizers", () => {
    expect(interpretThiopurineGenotype({ tpmt: "*1/*1", nudt15: "*1/*1" })).toMatchObject({
      tpmtPhenotype: "normal",
      nudt15Phenotype: "normal",
      thiopurineDoseFraction: 1,
    });
  });
  it("reduces the dose for a TPMT intermediate metabolizer", () => {
    expect(interpretThiopurineGenotype({ tpmt: "*1/*3A", nudt15: "*1/*1" }).thiopurineDoseFraction).toBe(0.8);
  });
  it("reduces it further when both genes are intermediate (CPIC 2024 update)", () => {
    const r = interpretThiopurineGenotype({ tpmt: "*1/*3A", nudt15: "*1/*3" });
    expect(r.thiopurineDoseFraction).toBe(0.5);
    expect(r.recommendation).toMatch(/20-50%/);
  });
  it("advises against a thiopurine for a poor metabolizer", () => {
    expect(interpretThiopurineGenotype({ tpmt: "*1/*1", nudt15: "*3/*3" }).thiopurineDoseFraction).toBe(0);
  });
  it("asks for testing when neither gene was tested", () => {
    expect(interpretThiopurineGenotype({})).toMatchObject({ tpmtPhenotype: "unknown", thiopurineDoseFraction: null });
  });
});

describe("CPIC thiopurine table", () => {
  const rows = loadPgx().recommendations;
  const example = (cell: string): PgxPhenotype =>
    cell === "any"
      ? "normal"
      : cell.startsWith("intermediate")
        ? "intermediate"
        : cell.startsWith("normal")
          ? "normal"
          : cell.startsWith("poor")
            ? "poor"
            : "indeterminate";
  it.each(rows.map((r, i) => ({ i, drug: r.drug, tpmt: r.tpmt_phenotype, nudt15: r.nudt15_phenotype })))(
    "row $i ($drug, TPMT $tpmt, NUDT15 $nudt15) is chosen for its phenotypes",
    ({ i, drug, tpmt, nudt15 }) => {
      const hit = cpicThiopurineRow(drug, example(tpmt), example(nudt15));
      expect(hit?.index).toBe(i);
    },
  );
  it("covers possible intermediate metabolizers with the intermediate row", () => {
    expect(
      cpicThiopurineRow("mercaptopurine", "possible-intermediate", "normal")?.row.starting_dose_percent_of_normal,
    ).toEqual([30, 80]);
  });
});

describe("VCF input", () => {
  const vcf = (rows: [string, string][]) =>
    [
      "##fileformat=VCFv4.2",
      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
      ...rows.map(([id, gt]) => `chr\t1\t${id}\tA\tG\t.\tPASS\t.\tGT\t${gt}`),
    ].join("\n");
  it("calls TPMT *1/*3A, NUDT15 *1/*3, HLA-DQA1*05 and NOD2 from rsIDs", () => {
    const g = genotypeFromVcf(
      vcf([
        ["rs1800460", "0/1"],
        ["rs1142345", "0/1"],
        ["rs116855232", "0/1"],
        ["rs2097432", "1/1"],
        ["rs2066847", "0/1"],
        ["rs2066844", "0/0"],
      ]),
    );
    expect(g).toEqual({ tpmt: "*1/*3A", nudt15: "*1/*3", hlaDqa105: true, nod2: ["L1007fsinsC"] });
  });
  it("leaves untested genes as null", () => {
    expect(genotypeFromVcf(vcf([["rs1142345", "0/0"]]))).toEqual({
      tpmt: "*1/*1",
      nudt15: null,
      hlaDqa105: null,
      nod2: null,
    });
  });
  it("rejects a truncated record", () => {
    expect(() => genotypeFromVcf("chr\t1\trs1\tA")).toThrow(/columns/);
  });
});
