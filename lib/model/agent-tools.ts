/**
 * Other agents as a model's tools. Each tool (and each handoff) is an AI SDK tool whose `execute`
 * makes one Switchboard call from the model agent to the target, through the target's own pipeline
 * (ACL with the model agent as `from`, handshake gate, breaker, cap, the caller's deadline, hop and
 * loop checks, both logs, the trace). A failed call becomes the tool's error — its text starts with
 * the problem code — so the model can recover. The AI SDK runs the loop (lib/model/run-model.ts).
 *
 * Everything that turns registry entries into tools and records what happened is here, behind two
 * hooks: `onStep` sees each finished step as it happens, and `signal` reaches every tool call.
 *
 * One tool is built in: `need_input`, listed in `tools` like an agent. The model calls it with
 * `{ question, schema? }` to stop and ask its caller (lib/message/input-required.ts); the loop
 * ends there, and the call waits for the answer like a code handler's `ctx.needInput`.
 */
import { dynamicTool, jsonSchema, type StepResult, type ToolSet } from "ai";
import type { Envelope, Metadata } from "../message/envelope";
import type { ErrorCode, Result } from "../message/errors";
import { checkAgainst, type JsonSchema, toolArguments } from "../registry/input-schema";
import { modelToolName, NEED_INPUT_TOOL, parseToolRef } from "./tool-refs";
import { InputRequest } from "../message/input-required";

const NEED_INPUT_PARAMETERS: JsonSchema = {
  type: "object",
  properties: {
    question: { type: "string", description: "what you need to know from the person or agent that sent the message" },
    schema: { type: "object", description: "optional JSON Schema the answer must match" },
  },
  required: ["question"],
};

export type StepType = "tool_call" | "handoff";

/** One entry of `metadata.steps`. */
export interface Step {
  type: StepType;
  /** The tool as configured: the agent called, or `"<mcp agent>/<tool>"` (or the unknown name the model asked for). */
  tool: string;
  /** "ok" or the problem code; `invalid_request` when the call was refused before it was made. */
  outcome: "ok" | ErrorCode;
  duration_ms: number;
  /** The id of the message sent to the tool; null when none was sent. */
  message_id: string | null;
  /** Index of the model call that asked for it (see `metadata.step_usage`). */
  step: number;
}

/** What a tool is described to the model by: the target's registry entry. */
export interface ToolDescription {
  description: string;
  input_schema?: JsonSchema;
}

export interface ToolCallOptions {
  pattern: "tool" | "handoff";
  metadata?: Metadata;
  /** The loop's signal: aborted when the caller's deadline passes (or, later, when it cancels). */
  signal?: AbortSignal;
}

/** How tools reach the registry and other agents; the handler context supplies both. */
export interface ToolPorts {
  /** What tool `ref` is described by (an agent's entry, or an MCP agent's tool), or null when there is no such tool now. */
  describe(ref: string): Promise<ToolDescription | null>;
  /** One call from the model agent to `to`, as ctx.invoke makes it; with the id of the message it sent. */
  call(to: string, content: unknown, options: ToolCallOptions): Promise<{ message_id: string; result: Result<{ reply: Envelope }> }>;
}

export interface AgentToolsOptions {
  tools: readonly string[];
  handoffs: readonly string[];
  /** What a handoff passes on: the conversation the model agent was given. */
  handoff: { content: unknown; metadata?: Metadata };
  signal?: AbortSignal;
  /** Each step as it finishes: a tool call's result, or a call refused before it was made. */
  onStep?: (step: Step) => void;
}

const HANDOFF_PARAMETERS: JsonSchema = { type: "object", properties: {} };

/** A tool as the loop uses it: the agent it calls, how arguments become content. */
interface AgentTool {
  ref: string;
  agent: string;
  type: StepType;
  description: string;
  parameters: JsonSchema;
  content(args: unknown): unknown;
}

/**
 * A tool's arguments follow the target's input schema (`toolArguments`, lib/registry/input-schema.ts);
 * an MCP tool's (always an object) become `{ tool, arguments }` for its agent.
 */
function toolOf(ref: string, type: StepType, found: ToolDescription | null, handoff: AgentToolsOptions["handoff"]): AgentTool {
  const { agent, tool } = parseToolRef(ref);
  const about = found?.description || (tool ? `the ${tool} tool of ${agent}` : `the ${agent} agent`);
  if (type === "handoff") {
    return {
      ref,
      agent,
      type,
      description: `Hand the conversation over to ${agent} (${about}); its answer becomes the final reply.`,
      parameters: HANDOFF_PARAMETERS,
      content: () => handoff.content,
    };
  }
  // A tool that is not registered now stays listed: calling it is an agent_not_found tool error.
  const description = found ? about : `${ref} (not registered at the moment)`;
  if (tool !== undefined) {
    return { ref, agent, type, description, parameters: found?.input_schema ?? { type: "object" }, content: (args) => ({ tool, arguments: args }) };
  }
  return { ref, agent, type, description, ...toolArguments(found?.input_schema) };
}

/**
 * The error a failed call gives the model. The SDK sends a tool error as `String(error)`, i.e.
 * "<name>: <message>", so the name is the problem code: "forbidden: agent x may not call y".
 */
function toolError(code: ErrorCode, detail: string): Error {
  const error = new Error(detail);
  error.name = code;
  return error;
}

/** A tool set and what happened in it, for one run of the loop. */
export interface AgentToolSet {
  tools: ToolSet;
  steps: Step[];
  /** Set once a handoff succeeded: the loop stops and the target's reply is the answer. */
  handoff(): { agent: string; reply: Envelope } | undefined;
  /** Set once the model called `need_input`: the loop stops and the call waits for the answer. */
  asked(): InputRequest | undefined;
  /** For `generateText`'s `onStepEnd`: records the calls the SDK refused (unknown tool, bad arguments). */
  onStepEnd(step: Pick<StepResult<ToolSet>, "content">): void;
}

export async function agentToolSet(ports: ToolPorts, options: AgentToolsOptions): Promise<AgentToolSet> {
  const refs: Array<[string, StepType]> = [
    ...options.tools.filter((t) => t !== NEED_INPUT_TOOL).map((t) => [t, "tool_call"] as [string, StepType]),
    ...options.handoffs.map((h) => [h, "handoff"] as [string, StepType]),
  ];
  const described = await Promise.all(refs.map(([agent]) => ports.describe(agent)));
  const steps: Step[] = [];
  const executed = new Set<string>();
  let modelCalls = 0;
  let handedOff: { agent: string; reply: Envelope } | undefined;
  let asked: InputRequest | undefined;
  const record = (step: Step) => {
    steps.push(step);
    options.onStep?.(step);
  };

  const tools: ToolSet = {};
  const byModelName = new Map<string, AgentTool>();
  refs.forEach(([ref, type], i) => {
    const spec = toolOf(ref, type, described[i] ?? null, options.handoff);
    const name = modelToolName(ref);
    byModelName.set(name, spec);
    tools[name] = dynamicTool({
      description: spec.description,
      inputSchema: jsonSchema(spec.parameters, {
        // The SDK refuses a call whose arguments fail this: the model gets a tool error, the target nothing.
        validate: (value) => {
          const check = checkAgainst(spec.parameters, value);
          return check.ok ? { success: true, value } : { success: false, error: toolError("invalid_request", `arguments ${check.detail}`) };
        },
      }),
      execute: async (args, { toolCallId }) => {
        executed.add(toolCallId);
        const start = Date.now();
        const metadata = spec.type === "handoff" ? options.handoff.metadata : undefined;
        const { message_id, result } = await ports.call(spec.agent, spec.content(args), {
          pattern: spec.type === "handoff" ? "handoff" : "tool",
          ...(metadata ? { metadata } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        record({ type: spec.type, tool: spec.ref, outcome: result.ok ? "ok" : result.code, duration_ms: Date.now() - start, message_id, step: modelCalls });
        if (!result.ok) throw toolError(result.code, result.detail);
        if (spec.type === "handoff") handedOff ??= { agent: spec.agent, reply: result.reply };
        return result.reply.content;
      },
    });
  });

  if (options.tools.includes(NEED_INPUT_TOOL)) {
    tools[NEED_INPUT_TOOL] = dynamicTool({
      description:
        "Ask the sender a question when you cannot answer without more input (an approval, a missing detail). The conversation pauses until they answer.",
      inputSchema: jsonSchema(NEED_INPUT_PARAMETERS, {
        validate: (value) => {
          const parsed = InputRequest.safeParse(value);
          return parsed.success
            ? { success: true, value: parsed.data }
            : { success: false, error: toolError("invalid_request", `arguments: ${parsed.error.issues[0]?.message}`) };
        },
      }),
      execute: async (args) => {
        asked ??= args as InputRequest;
        return "asked; waiting for the answer";
      },
    });
  }

  return {
    tools,
    steps,
    handoff: () => handedOff,
    asked: () => asked,
    onStepEnd(step) {
      for (const part of step.content) {
        if (part.type !== "tool-error" || executed.has(part.toolCallId)) continue;
        const spec = byModelName.get(part.toolName);
        record({
          type: spec?.type ?? "tool_call",
          tool: spec?.ref ?? part.toolName,
          outcome: "invalid_request",
          duration_ms: 0,
          message_id: null,
          step: modelCalls,
        });
      }
      modelCalls++;
    },
  };
}
