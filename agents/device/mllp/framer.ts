/**
 * MLLP (HL7 v2 Minimal Lower Layer Protocol, release 2) frame extraction:
 * <VT 0x0B> message <FS 0x1C><CR 0x0D>. Pure and incremental: feed it chunks as they arrive and it
 * yields whole frames, whatever the chunk boundaries. Bytes outside a frame are skipped; a start byte
 * inside a frame restarts the frame (the sender gave up on the previous one).
 */

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

export type FrameEvent =
  | { kind: "frame"; payload: Buffer }
  /** Frame content grew past maxFrameBytes: the caller should close the connection. */
  | { kind: "oversized"; bytes: number }
  /** Bytes outside any frame were skipped (count). */
  | { kind: "garbage"; bytes: number }
  /** FS not followed by CR, or a new VT before the end: the partial frame was dropped. */
  | { kind: "malformed"; reason: string };

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export class MllpFramer {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** Saw FS as the last byte of a chunk; the CR may come in the next one. */
  private pendingEnd = false;
  private overflowed = false;

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Feeds one chunk; returns the events it completes, in order. After "oversized" the framer ignores input. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    if (this.overflowed) return events;
    let i = 0;
    let garbage = 0;
    while (i < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(MLLP_START, i);
        if (start === -1) {
          garbage += chunk.length - i;
          break;
        }
        garbage += start - i;
        this.inFrame = true;
        this.parts = [];
        this.size = 0;
        i = start + 1;
        continue;
      }
      if (this.pendingEnd) {
        this.pendingEnd = false;
        if (chunk[i] === MLLP_CR) {
          events.push({ kind: "frame", payload: this.take() });
          i++;
          continue;
        }
        // FS without CR: not a frame end the standard allows; drop the frame and hunt for the next VT.
        events.push({ kind: "malformed", reason: "FS not followed by CR" });
        this.reset();
        continue;
      }
      // Scan for the first VT or FS in the remaining bytes.
      let j = i;
      while (j < chunk.length && chunk[j] !== MLLP_END && chunk[j] !== MLLP_START) j++;
      if (j > i && !this.append(chunk.subarray(i, j))) {
        events.push({ kind: "oversized", bytes: this.size });
        this.overflowed = true;
        this.parts = [];
        return flushGarbage(events, garbage);
      }
      if (j >= chunk.length) break;
      if (chunk[j] === MLLP_START) {
        events.push({ kind: "malformed", reason: "start byte inside a frame" });
        this.parts = [];
        this.size = 0;
        i = j + 1;
        continue;
      }
      // FS
      if (j + 1 >= chunk.length) {
        this.pendingEnd = true;
        break;
      }
      if (chunk[j + 1] === MLLP_CR) {
        events.push({ kind: "frame", payload: this.take() });
        i = j + 2;
      } else {
        events.push({ kind: "malformed", reason: "FS not followed by CR" });
        this.reset();
        i = j + 1;
      }
    }
    return flushGarbage(events, garbage);
  }

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.size;
  }

  private append(b: Buffer): boolean {
    this.size += b.length;
    if (this.size > this.maxFrameBytes) return false;
    this.parts.push(Buffer.from(b));
    return true;
  }

  private take(): Buffer {
    const payload = Buffer.concat(this.parts);
    this.reset();
    return payload;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.inFrame = false;
    this.pendingEnd = false;
  }
}

function flushGarbage(events: FrameEvent[], garbage: number): FrameEvent[] {
  if (garbage > 0) events.unshift({ kind: "garbage", bytes: garbage });
  return events;
}

/** Wraps a message in an MLLP frame. */
export function frameMllp(message: string | Buffer): Buffer {
  const body = typeof message === "string" ? Buffer.from(message, "utf8") : message;
  return Buffer.concat([Buffer.from([MLLP_START]), body, Buffer.from([MLLP_END, MLLP_CR])]);
}
