import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Logger } from "pino";
import { HmsError, type Principal } from "../../protocol/index.js";
import { toolName, type AgentDef, type SkillDef } from "../host/define.js";

/** Calls one skill on behalf of an MCP client; the bus client in production. */
export type SkillCaller = (
  agentId: string,
  verb: string,
  input: unknown,
  opts: { principal: Principal; signal?: AbortSignal; onProgress?: (message: string) => void },
) => Promise<unknown>;

export interface ToolEntry {
  name: string;
  agent: AgentDef;
  skill: SkillDef;
}

/** Every skill of the given agents as a tool entry, keyed by MCP tool name. */
export function toolEntries(agents: readonly AgentDef[]): Map<string, ToolEntry> {
  const out = new Map<string, ToolEntry>();
  for (const agent of agents)
    for (const skill of agent.skills)
      out.set(toolName(agent.id, skill.verb), { name: toolName(agent.id, skill.verb), agent, skill });
  return out;
}

/** True when one of the principal's roles may call the skill (no `roles` on a skill = every role). */
export function roleAllows(skill: SkillDef, principal: Principal): boolean {
  return !skill.roles || principal.roles.some((r) => skill.roles!.includes(r));
}

export const SERVER_INFO = { name: "hms-a2a", version: "0.1.0" } as const;

/**
 * An MCP server whose tools are the agents' skills. Arguments are validated by the SDK against
 * the skill's input schema (a bad argument is an `isError` result naming the field); the call goes
 * over the bus; any HmsError comes back as `isError` with its code in the text and `_meta`.
 */
export function buildMcpServer(opts: {
  agents: readonly AgentDef[];
  call: SkillCaller;
  principalOf: (extra: { authInfo?: { extra?: Record<string, unknown> } }) => Principal;
  logger: Logger;
}): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {}, logging: {} },
    instructions:
      "HMS-A2A: Crohn's disease treatment-planning agents. Tools are named <agent>_<verb> (the verb may name an object, e.g. ehr_get_patient_summary). Plans are proposals for clinician review, never prescriptions.",
  });
  for (const { name, agent, skill } of toolEntries(opts.agents).values()) {
    server.registerTool(
      name,
      {
        title: skill.title,
        description: `${skill.description} (agent: ${agent.id})`,
        inputSchema: skill.input,
        outputSchema: skill.output,
        annotations: { title: skill.title, ...skill.annotations },
      },
      async (args: unknown, extra) => {
        const principal = opts.principalOf(extra);
        if (!roleAllows(skill, principal)) {
          return errorResult(new HmsError("FORBIDDEN", `role ${principal.roles.join(",")} may not call ${name}`));
        }
        const token = extra._meta?.progressToken;
        let progress = 0;
        // Progress must reach the client before the result: once the result is in, the client
        // drops notifications for that request.
        let sent: Promise<unknown> = Promise.resolve();
        try {
          const output = await opts.call(agent.id, skill.verb, args, {
            principal,
            signal: extra.signal,
            onProgress:
              token === undefined
                ? undefined
                : (message) => {
                    const n = {
                      method: "notifications/progress" as const,
                      params: { progressToken: token, progress: ++progress, message },
                    };
                    sent = sent.then(() => extra.sendNotification(n)).catch(() => undefined);
                  },
          });
          await sent;
          return {
            content: [{ type: "text" as const, text: JSON.stringify(output, null, 2) }],
            structuredContent: output as Record<string, unknown>,
          };
        } catch (err) {
          const e = HmsError.from(err);
          if (e.code === "INTERNAL") opts.logger.error({ err, tool: name }, "tool call failed");
          return errorResult(e);
        }
      },
    );
  }
  return server;
}

/**
 * A tool error. The code goes in the text ("NOT_FOUND: …") and in `_meta["hms/error"]`, not in
 * structuredContent: clients validate structuredContent against the tool's output schema even
 * when isError is set (MCP SDK 1.32 client).
 */
function errorResult(e: HmsError) {
  return {
    isError: true,
    content: [{ type: "text" as const, text: `${e.code}: ${e.message}` }],
    _meta: { "hms/error": e.toJSON() },
  };
}
