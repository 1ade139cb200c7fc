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
} as const;

export const EXT = {
  /** Complex extension on the Crohn's Condition: age, location, upperGi, behaviour, perianal. */
  montreal: "https://hms-a2a.dev/fhir/StructureDefinition/montreal-classification",
  /** valueCode on MedicationStatement: TreatmentResponse (protocol/clinical/patient.ts). */
  treatmentResponse: "https://hms-a2a.dev/fhir/StructureDefinition/treatment-response",
  /** valueString on MedicationStatement, one per adverse event. */
  adverseEvent: "https://hms-a2a.dev/fhir/StructureDefinition/adverse-event",
} as const;
