/** The CLI's user-facing output (stdout); logs go to stderr through pino. */
export const out = (line = ""): void => void process.stdout.write(`${line}\n`);
export const useColor = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;

/** SGR codes of the colours the CLI uses. */
export const COLOURS = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
export type Colour = keyof typeof COLOURS;

/** `s` in colour `c` when `on` (default: stdout is a terminal and NO_COLOR is unset). */
export const paint = (c: Colour, s: string, on: boolean = useColor()): string =>
  on ? `\u001b[${COLOURS[c]}m${s}\u001b[0m` : s;
const wrap = (c: Colour) => (s: string) => paint(c, s);
export const bold = wrap("bold");
export const dim = wrap("dim");
export const green = wrap("green");
export const yellow = wrap("yellow");
export const red = wrap("red");
export const blue = wrap("blue");
export const magenta = wrap("magenta");
export const cyan = wrap("cyan");

/** `[  1.2 s]`, dimmed: the time since `t0` (ms) at the start of a story line. */
export const elapsedStamp = (t0: number, now: number = Date.now()): string =>
  dim(`[${((now - t0) / 1000).toFixed(1).padStart(5)} s]`);
