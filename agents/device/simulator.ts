import { HmsError, type DeviceReading, type DeviceRegistration } from "../../protocol/index.js";
import type { LoincEntry, LoincTable } from "./ranges.js";
import { mulberry32 } from "../../runtime/index.js";

/**
 * Seeded vital-sign streams for demos, tests and benchmarks: one bedside monitor per patient,
 * values wandering around a personal baseline (mean-reverting noise), and now and then a
 * deterioration episode that drives one to three vitals past loinc.json's critical limits and back.
 * The same options and seed always give the same stream.
 */

/** The only source of randomness here (mulberry32, seeded). */
export const createPrng = (seed: number): (() => number) => mulberry32(seed);

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Simulation profile of a stable adult (mean, between-patient sd, within-patient noise sd, decimals,
 * the side a deterioration pushes towards). Simulation choices, not reference values: the critical
 * limits an episode aims past are read from loinc.json.
 */
interface Profile {
  mean: number;
  between: number;
  noise: number;
  decimals: number;
  worsens: "high" | "low";
}
const PROFILE: Record<string, Profile> = {
  heart_rate: { mean: 76, between: 8, noise: 2, decimals: 0, worsens: "high" },
  respiratory_rate: { mean: 15, between: 1.5, noise: 0.8, decimals: 0, worsens: "high" },
  systolic_bp: { mean: 124, between: 10, noise: 3, decimals: 0, worsens: "low" },
  diastolic_bp: { mean: 76, between: 6, noise: 2, decimals: 0, worsens: "low" },
  body_temperature: { mean: 36.8, between: 0.25, noise: 0.08, decimals: 1, worsens: "high" },
  spo2: { mean: 97.5, between: 0.8, noise: 0.5, decimals: 0, worsens: "low" },
};

export const SIMULATED_VITALS = Object.keys(PROFILE);

export interface SimulateVitalsOptions {
  /** Patient ids, or a count (ids "sim-patient-1"...). */
  patients: readonly string[] | number;
  /** Readings sets per patient per minute. @defaultValue 12 */
  rate?: number;
  seed: number;
  table: LoincTable;
  /** Epoch ms of the first tick. @defaultValue 2025-01-01T00:00:00Z */
  start?: number;
  /** Chance per patient per tick that an episode starts. @defaultValue 0.005 */
  deteriorationChance?: number;
}

export interface VitalsSimulation {
  devices: DeviceRegistration[];
  /** Advances one tick (60/rate s) and returns every patient's readings for it. */
  tick(): DeviceReading[];
  /** Epoch ms of the last tick produced. */
  now(): number;
}

interface Episode {
  keys: string[];
  t: number;
  ramp: number;
  hold: number;
}
/** A simulated vital that loinc.json gives a unit for. */
interface Vital {
  key: string;
  profile: Profile;
  entry: LoincEntry;
  unit: string;
}
interface PatientState {
  id: string;
  deviceId: string;
  vitals: { vital: Vital; baseline: number; value: number }[];
  episode: Episode | null;
}

function criticalTarget(entry: LoincEntry, side: "high" | "low", mean: number): number | null {
  const lim = side === "high" ? entry.critical_high?.low : entry.critical_low?.high;
  if (lim === undefined || lim === null) return null;
  // Aim past the limit by a fifth of its distance from the usual value, so the peak reads as critical.
  return lim + (lim - mean) * 0.2;
}

function shuffle(xs: readonly string[], rand: () => number): string[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) throw new HmsError("INTERNAL", `shuffle index out of range (${i}, ${j})`);
    out[i] = b;
    out[j] = a;
  }
  return out;
}

export const DEFAULT_SIM_START = Date.UTC(2025, 0, 1);

export function simulateVitals(opts: SimulateVitalsOptions): VitalsSimulation {
  const { rate = 12, seed, table, start = DEFAULT_SIM_START, deteriorationChance = 0.005 } = opts;
  const rand = createPrng(seed);
  const ids =
    typeof opts.patients === "number"
      ? Array.from({ length: opts.patients }, (_, i) => `sim-patient-${i + 1}`)
      : [...opts.patients];
  const stepMs = Math.round(60_000 / rate);
  const vitals: Vital[] = Object.entries(PROFILE).flatMap(([key, profile]) => {
    const entry = table.byKey(key);
    return entry?.ucum ? [{ key, profile, entry, unit: entry.ucum }] : [];
  });
  const states: PatientState[] = ids.map((id, i) => ({
    id,
    deviceId: `sim-monitor-${i + 1}`,
    vitals: vitals.map((vital) => {
      const baseline = vital.profile.mean + gaussian(rand) * vital.profile.between;
      return { vital, baseline, value: baseline };
    }),
    episode: null,
  }));
  const devices: DeviceRegistration[] = states.map((s, i) => ({
    deviceId: s.deviceId,
    type: "vital-signs-monitor",
    manufacturer: "HMS Simulator",
    model: "SIM-1",
    serial: `SIM${String(i + 1).padStart(5, "0")}`,
    location: `sim-ward bed ${i + 1}`,
    patientId: s.id,
    expectedIntervalSec: Math.max(1, Math.ceil(stepMs / 1000)),
    status: "online",
  }));
  let t = start - stepMs;

  const tick = (): DeviceReading[] => {
    t += stepMs;
    const effective = new Date(t).toISOString();
    const out: DeviceReading[] = [];
    for (const s of states) {
      if (!s.episode && rand() < deteriorationChance) {
        const candidates = vitals
          .filter((v) => criticalTarget(v.entry, v.profile.worsens, v.profile.mean) !== null)
          .map((v) => v.key);
        const n = 1 + Math.floor(rand() * Math.min(3, candidates.length));
        const chosen = shuffle(candidates, rand).slice(0, n);
        if (chosen.length > 0)
          s.episode = { keys: chosen, t: 0, ramp: 3 + Math.floor(rand() * 4), hold: 2 + Math.floor(rand() * 6) };
      }
      const ep = s.episode;
      for (const pv of s.vitals) {
        const { key: k, profile: p, entry, unit } = pv.vital;
        let mu = pv.baseline;
        if (ep && ep.keys.includes(k)) {
          const target = criticalTarget(entry, p.worsens, p.mean) ?? mu;
          const phase =
            ep.t < ep.ramp
              ? (ep.t + 1) / ep.ramp
              : ep.t < ep.ramp + ep.hold
                ? 1
                : Math.max(0, 1 - (ep.t - ep.ramp - ep.hold + 1) / ep.ramp);
          mu = mu + (target - mu) * phase;
        }
        const next = pv.value + 0.5 * (mu - pv.value) + gaussian(rand) * p.noise;
        pv.value = next;
        const f = 10 ** p.decimals;
        let shown = Math.round(next * f) / f;
        if (k === "spo2") shown = Math.min(100, shown);
        out.push({
          deviceId: s.deviceId,
          patientId: s.id,
          key: k,
          value: shown,
          unit,
          effective,
          source: "simulator",
        });
      }
      if (ep) {
        ep.t++;
        if (ep.t >= ep.ramp * 2 + ep.hold) s.episode = null;
      }
    }
    return out;
  };
  return { devices, tick, now: () => t };
}
