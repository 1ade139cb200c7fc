/** The CLI's user-facing output (stdout); logs go to stderr through pino. */
export const out = (line = ""): void => void process.stdout.write(`${line}\n`);
export const useColor = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;
const wrap = (code: number) => (s: string) => (useColor() ? `\u001b[${code}m${s}\u001b[0m` : s);
export const bold = wrap(1);
export const dim = wrap(2);
export const green = wrap(32);
export const yellow = wrap(33);
export const red = wrap(31);
export const cyan = wrap(36);
