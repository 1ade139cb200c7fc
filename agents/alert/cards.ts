import { CdsCardSchema, type Alert, type CdsCard } from "../../protocol/index.js";

/**
 * Alerts as CDS Hooks 2.0 cards (cds-hooks.hl7.org, "Card Attributes"): summary under 140
 * characters, indicator info/warning/critical, source.label, and suggestions where one applies.
 */

export const CDS_SOURCE_LABEL = "HMS-A2A alert agent";
const MAX_SUMMARY = 139;

const INDICATOR = { high: "critical", medium: "warning", low: "info" } as const;

export function truncate(text: string, max = MAX_SUMMARY): string {
  const chars = [...text.replace(/\s+/g, " ").trim()];
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}

export function alertToCard(alert: Alert): CdsCard {
  const escalated = alert.tier > 0 ? ` (escalated, tier ${alert.tier})` : "";
  const repeats = alert.occurrences > 1 ? ` ×${alert.occurrences}` : "";
  const card: CdsCard = {
    uuid: alert.alertId,
    summary: truncate(`${alert.summary}${repeats}${escalated}`),
    indicator: INDICATOR[alert.priority],
    source: { label: CDS_SOURCE_LABEL, topic: { code: alert.category } },
    ...(alert.detail ? { detail: alert.detail } : {}),
  };
  if (alert.suggestions.length > 0) {
    card.suggestions = alert.suggestions.map((s, i) => ({
      label: s.label,
      uuid: `${alert.alertId}-s${i + 1}`,
      ...(s.actionType
        ? { actions: [{ type: s.actionType, description: s.label, ...(s.resource ? { resource: s.resource } : {}) }] }
        : {}),
    }));
  }
  // Cards leave the process: check them against the one schema.
  return CdsCardSchema.parse(card);
}
