import type { Alarm, AlarmPriority, Device } from "../../protocol/index.js";
import type { InterpretedReading } from "./observation.js";
import { isCritical } from "./ranges.js";

/**
 * Alarms from readings and from device silence. Pure: the caller supplies the time and the id.
 * A critical reading (HH/LL against loinc.json) is a high-priority physiological alarm; an abnormal
 * one (H/L) raises a low-priority alarm only when asked; a silent device is a medium technical alarm.
 */

export interface AlarmPolicy {
  /** Priority for H/L readings; null means no alarm. @defaultValue null */
  abnormalPriority: AlarmPriority | null;
  /** Silence longer than this many expected intervals marks a device offline. @defaultValue 3 */
  offlineAfterIntervals: number;
}

export const DEFAULT_ALARM_POLICY: AlarmPolicy = { abnormalPriority: null, offlineAfterIntervals: 3 };

/**
 * Topic type for alarms. The binding allows one [a-z0-9-] token per topic type (protocol/subjects.ts),
 * so "alarm.<patient>" is topic "alarm" with the patient in the payload (`Alarm.patientId`).
 */
export const ALARM_TOPIC = "alarm";

export function alarmForReading(
  ir: InterpretedReading,
  alarmId: string,
  policy: AlarmPolicy = DEFAULT_ALARM_POLICY,
): Alarm | null {
  const { reading, entry, interpretation } = ir;
  let priority: AlarmPriority | null = null;
  if (isCritical(interpretation)) priority = "high";
  else if (interpretation === "low" || interpretation === "high") priority = policy.abnormalPriority;
  if (!priority) return null;
  return {
    alarmId,
    kind: "physiological",
    priority,
    deviceId: reading.deviceId,
    patientId: reading.patientId,
    condition: `${entry.key}:${interpretation}`,
    key: entry.key,
    value: reading.value,
    unit: reading.unit,
    interpretation,
    message: `${entry.display} ${reading.value} ${reading.unit} is ${interpretation.replace("-", " ")}`,
    raisedAt: reading.effective,
  };
}

/**
 * Devices that have been silent longer than `offlineAfterIntervals` × their expected interval
 * (a device never heard from counts from its registration). Devices already offline or in
 * maintenance are left alone, so each silence is reported once.
 */
export function findSilentDevices(
  devices: readonly Device[],
  now: number,
  policy: AlarmPolicy = DEFAULT_ALARM_POLICY,
): Device[] {
  return devices.filter((d) => {
    if (d.status === "offline" || d.status === "maintenance") return false;
    const last = Date.parse(d.lastHeartbeat ?? d.registeredAt);
    return now - last > d.expectedIntervalSec * 1000 * policy.offlineAfterIntervals;
  });
}

export function technicalAlarm(device: Device, alarmId: string, now: number): Alarm {
  const since = device.lastHeartbeat ?? device.registeredAt;
  return {
    alarmId,
    kind: "technical",
    priority: "medium",
    deviceId: device.deviceId,
    patientId: device.patientId,
    condition: `device-offline:${device.deviceId}`,
    message: `${device.type} ${device.deviceId} silent since ${since} (expected every ${device.expectedIntervalSec} s)`,
    raisedAt: new Date(now).toISOString(),
  };
}
