/**
 * Code systems and extension URLs this project writes into FHIR and reads back. Local systems
 * live under https://hms-a2a.dev/fhir/ (a namespace we own, not a resolvable server).
 */
export const SYSTEMS = {
  mrn: "https://hms-a2a.dev/fhir/sid/mrn",
  /** Drug ids of clinical/reference/data/drugs.json (and co-medication names). */
  drug: "https://hms-a2a.dev/fhir/CodeSystem/drug",
  nyha: "https://hms-a2a.dev/fhir/CodeSystem/nyha-class",
  /** Identifiers of resources written for a task (conditional create key). */
  taskWrite: "https://hms-a2a.dev/fhir/sid/task-write",
  consent: "https://hms-a2a.dev/fhir/sid/consent",
  icd10cm: "http://hl7.org/fhir/sid/icd-10-cm",
  snomed: "http://snomed.info/sct",
  ucum: "http://unitsofmeasure.org",
  /** HL7 v3 RouteOfAdministration (e.g. PO, IVINFUS, SQ, IM). */
  v3Route: "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
  /** HL7 v3 ObservationInterpretation (POS, NEG, IND, DET, ND). */
  v3Interpretation: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
  allergyClinical: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
  allergyVerification: "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
} as const;

export const EXT = {
  /** Complex extension on the Crohn's Condition: age, location, upperGi, behaviour, perianal. */
  montreal: "https://hms-a2a.dev/fhir/StructureDefinition/montreal-classification",
  /** valueCode on MedicationStatement: TreatmentResponse (protocol/clinical/patient.ts). */
  treatmentResponse: "https://hms-a2a.dev/fhir/StructureDefinition/treatment-response",
  /**
   * On MedicationStatement, one per adverse event: either valueString (what happened), or a complex
   * extension with `event` (valueString) and `severity` (valueCode mild | moderate | severe).
   */
  adverseEvent: "https://hms-a2a.dev/fhir/StructureDefinition/adverse-event",
  /** valueCode on MedicationStatement / MedicationRequest: induction | maintenance | taper. */
  treatmentPhase: "https://hms-a2a.dev/fhir/StructureDefinition/treatment-phase",
} as const;

/**
 * SNOMED CT route qualifier values (the FHIR R4 SNOMED CT Route Codes value set) and HL7 v3
 * RouteOfAdministration codes, mapped to the plan's routes. SNOMED codes as seen in public FHIR
 * code (47625008 intravenous, 34206005 subcutaneous, 26643006 oral, 78421000 intramuscular:
 * verified-secondary); v3 codes from the v3 code system as known (unverified).
 */
export const ROUTE_CODES: Readonly<Record<string, "IV" | "SC" | "PO" | "IM">> = {
  [`${SYSTEMS.snomed}|47625008`]: "IV",
  [`${SYSTEMS.snomed}|34206005`]: "SC",
  [`${SYSTEMS.snomed}|26643006`]: "PO",
  [`${SYSTEMS.snomed}|78421000`]: "IM",
  [`${SYSTEMS.v3Route}|IVINJ`]: "IV",
  [`${SYSTEMS.v3Route}|IVINFUS`]: "IV",
  [`${SYSTEMS.v3Route}|IV`]: "IV",
  [`${SYSTEMS.v3Route}|SQ`]: "SC",
  [`${SYSTEMS.v3Route}|SC`]: "SC",
  [`${SYSTEMS.v3Route}|PO`]: "PO",
  [`${SYSTEMS.v3Route}|IM`]: "IM",
};

/**
 * SNOMED CT qualifier values for qualitative results. 10828004 Positive, 260385009 Negative and
 * 419984006 Inconclusive as answer options of LOINC 71773-6 in the MITRE space-health FHIR IG
 * (verified-secondary); 82334004 Indeterminate as used in public lab code (verified-secondary);
 * 260373001 Detected / 260415000 Not detected (unverified).
 */
export const RESULT_CODES: Readonly<Record<string, "positive" | "negative" | "indeterminate">> = {
  "10828004": "positive",
  "260373001": "positive",
  "260385009": "negative",
  "260415000": "negative",
  "82334004": "indeterminate",
  "419984006": "indeterminate",
};

/** The SNOMED CT codings the generator writes for a qualitative result. */
export const RESULT_CODINGS = {
  positive: { system: SYSTEMS.snomed, code: "10828004", display: "Positive" },
  negative: { system: SYSTEMS.snomed, code: "260385009", display: "Negative" },
  indeterminate: { system: SYSTEMS.snomed, code: "82334004", display: "Indeterminate" },
} as const;
