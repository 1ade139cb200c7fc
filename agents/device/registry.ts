import {
  DeviceRegistrationSchema,
  HmsError,
  invalidInput,
  type Device,
  type DeviceRegistration,
  type DeviceStatus,
} from "../../protocol/index.js";

/**
 * In-memory device registry. The clock is injected so status and heartbeat times are reproducible.
 * Snapshots are plain JSON (a list of Device) so the lead can persist them in KV.
 */

export interface DeviceFilter {
  patientId?: string;
  status?: DeviceStatus;
  type?: string;
}

export class DeviceRegistry {
  private readonly devices = new Map<string, Device>();

  constructor(
    private readonly now: () => number = Date.now,
    initial: readonly Device[] = [],
  ) {
    for (const d of initial) this.devices.set(d.deviceId, structuredClone(d));
  }

  /** Registers a device, or updates it (keeping its heartbeat and registration time) when the id is known. */
  register(input: DeviceRegistration): Device {
    const parsed = DeviceRegistrationSchema.safeParse(input);
    if (!parsed.success) throw invalidInput(parsed.error);
    const prev = this.devices.get(parsed.data.deviceId);
    const device: Device = {
      ...parsed.data,
      lastHeartbeat: prev?.lastHeartbeat ?? null,
      registeredAt: prev?.registeredAt ?? new Date(this.now()).toISOString(),
    };
    this.devices.set(device.deviceId, device);
    return structuredClone(device);
  }

  get(deviceId: string): Device | undefined {
    const d = this.devices.get(deviceId);
    return d && structuredClone(d);
  }

  /** Like get, but a missing device is NOT_FOUND. */
  require(deviceId: string): Device {
    const d = this.get(deviceId);
    if (!d) throw new HmsError("NOT_FOUND", `unknown device ${deviceId}`, { data: { deviceId } });
    return d;
  }

  list(filter: DeviceFilter = {}): Device[] {
    return [...this.devices.values()]
      .filter(
        (d) =>
          (filter.patientId === undefined || d.patientId === filter.patientId) &&
          (filter.status === undefined || d.status === filter.status) &&
          (filter.type === undefined || d.type === filter.type),
      )
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId))
      .map((d) => structuredClone(d));
  }

  /** Records that the device was heard from; an offline device comes back online. */
  heartbeat(deviceId: string, at: number = this.now()): Device {
    const d = this.devices.get(deviceId);
    if (!d) throw new HmsError("NOT_FOUND", `unknown device ${deviceId}`, { data: { deviceId } });
    const iso = new Date(at).toISOString();
    if (!d.lastHeartbeat || d.lastHeartbeat < iso) d.lastHeartbeat = iso;
    if (d.status === "offline") d.status = "online";
    return structuredClone(d);
  }

  setStatus(deviceId: string, status: DeviceStatus): Device {
    const d = this.devices.get(deviceId);
    if (!d) throw new HmsError("NOT_FOUND", `unknown device ${deviceId}`, { data: { deviceId } });
    d.status = status;
    return structuredClone(d);
  }

  /** Adds devices from a snapshot that this registry does not know yet (known ones keep their live state). */
  restore(devices: readonly Device[]): number {
    let added = 0;
    for (const d of devices) {
      if (this.devices.has(d.deviceId)) continue;
      this.devices.set(d.deviceId, structuredClone(d));
      added++;
    }
    return added;
  }

  snapshot(): Device[] {
    return this.list();
  }
}
