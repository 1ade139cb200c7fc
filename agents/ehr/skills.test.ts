import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideAccess } from "../../clinical/consent/index.js";
import { AccessRequestSchema } from "../../protocol/clinical/consent.js";
import type { Principal } from "../../protocol/principal.js";
import { FhirClient, startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import type { SkillContext, SkillDef } from "../../runtime/index.js";
import { EhrService } from "./service.js";
import { ehrSkills } from "./skills.js";

const logger = pino({ level: "silent" });
let server: FhirServer;
let ehr: EhrService;

beforeAll(async () => {
  server = await startFhirServer({ logger });
  const bundle = JSON.parse(
    readFileSync(join(import.meta.dirname, "..", "..", "examples", "patients", "pt-restricted-zip.json"), "utf8"),
  );
  await new FhirClient({ baseUrl: server.baseUrl, logger }).transaction(bundle);
  ehr = new EhrService({ fhir: new FhirClient({ baseUrl: server.baseUrl, logger }), logger });
});
afterAll(() => server?.close());

/** A hand-made context with what these skills use (the runtime's SkillContext has more). */
function ctx(principal: Principal | undefined, progress: string[] = []): SkillContext {
  const state = new Map<string, unknown>();
  const c = {
    state: {
      load: async <T>(k: string) => state.get(k) as T | undefined,
      save: async (k: string, v: unknown) => void state.set(k, v),
      delete: async (k: string) => void state.delete(k),
      keys: async () => [...state.keys()],
    },
    inputRequired: async () => {
      throw new Error("not used");
    },
    finishTask: async () => {},
    agentId: "ehr",
    taskId: "task-skill",
    contextId: "ctx",
    traceId: "trace",
    principal,
    logger,
    signal: new AbortController().signal,
    progress: async (m: string) => void progress.push(m),
    call: async <T>(agentId: string, verb: string, input: unknown) => {
      // The consent agent's decision logic with no consents on record.
      if (agentId === "consent" && verb === "check_access")
        return decideAccess(AccessRequestSchema.parse(input), [], new Date()) as T;
      throw new Error(`unexpected ${agentId}.${verb}`);
    },
    publish: async () => {},
    calls: [],
    redelivered: false,
  };
  return c as unknown as SkillContext;
}

describe("EHR skills", () => {
  it("declares the tools the design names", () => {
    expect(ehrSkills(() => ehr).map((s) => s.verb)).toEqual([
      "search_patients",
      "get_patient_summary",
      "get_observations",
      "write_care_plan",
      "sync_changes",
    ]);
  });

  it("answers get_patient_summary for a clinician, reporting progress", async () => {
    const skill = ehrSkills(() => ehr).find((s) => s.verb === "get_patient_summary") as unknown as SkillDef;
    const progress: string[] = [];
    const out = (await skill.handler(
      skill.input.parse({ patientId: "pt-restricted-zip" }),
      ctx({ subject: "dr.lee", roles: ["clinician"], purposeOfUse: "TREAT" }, progress),
    )) as { summary: { patientId: string } };
    expect(skill.output.parse(out)).toMatchObject({ summary: { patientId: "pt-restricted-zip" } });
    expect(progress).toHaveLength(1);
  });

  it("keeps the sync position in the agent's durable state", async () => {
    const skill = ehrSkills(() => ehr).find((s) => s.verb === "sync_changes") as unknown as SkillDef;
    const c = ctx({ subject: "agent:coordinator", roles: ["agent"], purposeOfUse: "HOPERAT" });
    const first = (await skill.handler(skill.input.parse({ since: "2000-01-01T00:00:00Z" }), c)) as {
      until: string;
      changes: unknown[];
    };
    expect(first.changes.length).toBeGreaterThan(0);
    expect(await c.state.load("ehr-sync-cursor")).toBe(first.until);
    const second = (await skill.handler(skill.input.parse({}), c)) as { since: string };
    expect(second.since).toBe(first.until);
  });

  it("refuses a request without a principal", async () => {
    const skill = ehrSkills(() => ehr).find((s) => s.verb === "get_observations") as unknown as SkillDef;
    await expect(
      skill.handler(skill.input.parse({ patientId: "pt-restricted-zip" }), ctx(undefined)),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
