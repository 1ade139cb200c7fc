import pino from "pino";
import { describe, expect, it } from "vitest";
import { InMemoryAuditLog } from "../../clinical/audit/index.js";
import { FhirClient } from "../../runtime/embedded/fhir/index.js";
import type { SkillDef } from "../../runtime/index.js";
import { AgentStatePseudonymStore, consentAgent } from "./index.js";
import { ConsentService } from "./service.js";
import { consentSkills } from "./skills.js";

const logger = pino({ level: "silent" });

describe("consent skills", () => {
  it("declares the tools the design names", () => {
    const agent = consentAgent({ fhirBaseUrl: "http://127.0.0.1:9/fhir/R4", logger });
    expect(agent.id).toBe("consent");
    expect(agent.skills.map((s) => s.verb)).toEqual(["record", "revoke", "check_access", "deidentify", "query_audit"]);
  });

  it("de-identifies through the skill with a pseudonym kept in the agent's durable state", async () => {
    const kv = new Map<string, unknown>();
    const state = {
      load: async <T>(k: string) => kv.get(k) as T | undefined,
      save: async (k: string, v: unknown) => void kv.set(k, v),
      delete: async () => {},
      keys: async () => [...kv.keys()],
    };
    const service = new ConsentService({
      fhir: new FhirClient({ baseUrl: "http://127.0.0.1:9/fhir/R4", logger }),
      audit: new InMemoryAuditLog(),
      pseudonyms: new AgentStatePseudonymStore(() => state),
      logger,
      mirrorAuditToFhir: false,
    });
    const skill = consentSkills(() => service).find((s) => s.verb === "deidentify") as unknown as SkillDef;
    const input = skill.input.parse({
      patientId: "pt-1",
      resources: [{ resourceType: "Patient", id: "pt-1", name: [{ family: "Doe" }], birthDate: "1980-02-03" }],
    });
    const out = (await skill.handler(input, {
      principal: { subject: "r.sun", roles: ["researcher"], purposeOfUse: "HRESCH" },
    } as never)) as { pseudonym: string; resources: unknown[] };
    expect(kv.get("pseudonym.pt-1")).toBe(out.pseudonym);
    expect(JSON.stringify(out.resources)).not.toContain("Doe");
  });
});
