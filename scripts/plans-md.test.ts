import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PLANS_FILE, renderPlans } from "./plans-md.js";

describe("examples/patients/PLANS.md", () => {
  it("is what the coordinator's pipeline proposes for every synthetic patient today", async () => {
    const text = await renderPlans();
    // Every patient has a section, and no proposed plan carries an error finding.
    expect(text.match(/^## `pt-/gm)?.length).toBeGreaterThanOrEqual(26);
    expect(text).not.toMatch(/^- error /m);
    expect(readFileSync(PLANS_FILE, "utf8")).toBe(text);
  }, 180_000);
});
