import pino, { type Logger } from "pino";

/**
 * pino JSON logs; pretty (pino-pretty) when `pretty` is set, typically when stderr is a terminal.
 * Logs go to stderr so stdout stays free for command output and MCP stdio.
 */
export function createLogger(opts: { level?: string; pretty?: boolean; name?: string } = {}): Logger {
  const level = opts.level ?? "info";
  if (opts.pretty) {
    return pino(
      { level, name: opts.name },
      pino.transport({
        target: "pino-pretty",
        options: { destination: 2, colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" },
      }),
    );
  }
  return pino({ level, name: opts.name }, pino.destination(2));
}
