import type { AlarmPriority, AlertCategory, AlertEvent, AlertSuggestion } from "../../protocol/index.js";

/**
 * What an incoming event means as an alert: who, which condition (the deduplication key within a
 * patient), how urgent, and what to say. Pure.
 */
export interface AlertCandidate {
  category: AlertCategory;
  priority: AlarmPriority;
  patientId: string | null;
  condition: string;
  summary: string;
  detail?: string;
  sourceRef: string;
  suggestions: AlertSuggestion[];
}

export function toCandidate(event: AlertEvent): AlertCandidate {
  switch (event.type) {
    case "alarm": {
      const a = event.alarm;
      return {
        category: a.kind === "technical" ? "device" : "vital-sign",
        priority: a.priority,
        patientId: a.patientId,
        condition: a.condition,
        summary: a.message,
        detail:
          a.kind === "technical"
            ? `Technical alarm from device ${a.deviceId}.`
            : `Reading from device ${a.deviceId} at ${a.raisedAt}.`,
        sourceRef: `alarm:${a.alarmId}`,
        suggestions:
          a.kind === "technical"
            ? [{ label: `Check device ${a.deviceId} and its connection` }]
            : [{ label: "Review the patient at the bedside and repeat the measurement" }],
      };
    }
    case "ehr-change":
      return {
        category: event.change,
        priority: event.priority,
        patientId: event.patientId,
        condition: `${event.change}:${event.ref}`,
        summary: event.description,
        sourceRef: event.ref,
        suggestions: [],
      };
    case "critical-finding":
      return {
        category: "critical-finding",
        priority: "high",
        patientId: event.patientId,
        condition: `finding:${event.ruleId}${event.planRef ? `:${event.planRef}` : ""}`,
        summary: event.message,
        detail: event.planRef ? `Verifier rule ${event.ruleId} on ${event.planRef}.` : `Verifier rule ${event.ruleId}.`,
        sourceRef: event.planRef ?? `rule:${event.ruleId}`,
        suggestions: event.suggestion ? [{ label: event.suggestion }] : [],
      };
    case "system":
      return {
        category: "system",
        priority: event.priority,
        patientId: null,
        condition: `system:${event.component}`,
        summary: event.message,
        sourceRef: `component:${event.component}`,
        suggestions: [{ label: `Investigate ${event.component}: automatic healing has stopped` }],
      };
    case "security-incident":
      return {
        category: "system",
        priority: "high",
        patientId: null,
        condition: `security:${event.incident.kind}:${event.incident.requester}`,
        summary: event.incident.message,
        sourceRef: `requester:${event.incident.requester}`,
        suggestions: [{ label: `Review ${event.incident.requester}'s access in the audit trail` }],
      };
    case "plan-ready":
      return {
        category: "plan-ready",
        priority: "low",
        patientId: event.patientId,
        condition: `plan-ready:${event.planRef}`,
        summary: "A treatment plan proposal is ready for clinician review",
        detail: `Plan ${event.planRef}${event.taskId ? ` (task ${event.taskId})` : ""} awaits approval.`,
        sourceRef: event.planRef,
        suggestions: [{ label: "Review and approve or reject the proposed plan" }],
      };
  }
}
