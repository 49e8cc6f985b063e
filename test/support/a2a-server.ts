/**
 * A loopback A2A v1.0 agent served by @a2a-js/sdk (its request handler and JSON-RPC transport
 * on plain node http), standing in for a remote vendor's agent. Behaviour by path:
 *
 *   /echo/<key>       completed task whose artifact echoes the message content
 *   /message/<key>    answers with a Message instead of a task
 *   /failtask/<key>   the agent fails: a task in state FAILED
 *   /stream/<key>     streams (its card says so): a working task, one artifact-update per word of
 *                     the text (`append` after the first), then a completed status
 *   /down/<key>       card served, JSON-RPC answered 503 (an unavailable agent)
 *   /v03/<key>        card only offers protocol 0.3 (registration must refuse it)
 *   /_calls/<key>     how many JSON-RPC requests <key> received
 *
 * Each agent's card is at <path>/.well-known/agent-card.json; its endpoint is <path>.
 */
import { createServer, type Server } from "node:http";
import { readBody } from "./loopback-http.ts";
import { type AgentCard, AgentCard as AgentCardCodec, formatSSEEvent, Role, TaskState } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, ServerCallContext } from "@a2a-js/sdk/server";

const CARD = "/.well-known/agent-card.json";

function cardFor(base: string, scenario: string, key: string): AgentCard {
  return {
    name: `${scenario}-${key}`,
    description: `test A2A agent (${scenario})`,
    version: "1.0.0",
    supportedInterfaces: [{ url: `${base}/${scenario}/${key}`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: scenario === "v03" ? "0.3" : "1.0" }],
    provider: undefined,
    capabilities: { streaming: scenario === "stream", pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain", "application/json"],
    defaultOutputModes: ["text/plain", "application/json"],
    skills: [{ id: "echo", name: "echo", description: "echoes", tags: [], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [],
  };
}

function executorFor(scenario: string): AgentExecutor {
  return {
    async execute(request, bus) {
      const { taskId, contextId, userMessage } = request;
      const parts = userMessage.parts;
      if (scenario === "message") {
        bus.publish(
          AgentEvent.message({
            messageId: crypto.randomUUID(),
            contextId,
            taskId: "",
            role: Role.ROLE_AGENT,
            parts,
            metadata: {},
            extensions: [],
            referenceTaskIds: [],
          }),
        );
        return;
      }
      if (scenario === "stream") {
        const text = parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("");
        const status = (state: TaskState) => ({ state, message: undefined, timestamp: new Date().toISOString() });
        bus.publish(
          AgentEvent.task({ id: taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), artifacts: [], history: [userMessage], metadata: {} }),
        );
        text.split(/(?<=\s)(?=\S)/).forEach((word, i) => {
          const part = { content: { $case: "text" as const, value: word }, mediaType: "text/plain", filename: "", metadata: {} };
          const artifact = { artifactId: "words", name: "words", description: "", parts: [part], metadata: {}, extensions: [] };
          bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact, append: i > 0, lastChunk: false, metadata: {} }));
        });
        bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_COMPLETED), metadata: {} }));
        return;
      }
      const failed = scenario === "failtask";
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: {
            state: failed ? TaskState.TASK_STATE_FAILED : TaskState.TASK_STATE_COMPLETED,
            message: failed
              ? {
                  messageId: crypto.randomUUID(),
                  contextId,
                  taskId,
                  role: Role.ROLE_AGENT,
                  parts: [{ content: { $case: "text", value: "scripted failure" }, mediaType: "text/plain", filename: "", metadata: {} }],
                  metadata: {},
                  extensions: [],
                  referenceTaskIds: [],
                }
              : undefined,
            timestamp: new Date().toISOString(),
          },
          artifacts: failed ? [] : [{ artifactId: crypto.randomUUID(), name: "echo", description: "", parts, metadata: {}, extensions: [] }],
          history: [userMessage],
          metadata: { seen_metadata: userMessage.metadata ?? {} },
        }),
      );
    },
    async cancelTask() {},
  };
}

export function startA2aServer(): Promise<{ server: Server; port: number }> {
  const calls = new Map<string, number>();
  const stores = new Map<string, InMemoryTaskStore>();
  let base = "";
  const server = createServer(async (req, res) => {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const agentPath = path.endsWith(CARD) ? path.slice(0, -CARD.length) : path;
    const [scenario = "", key = ""] = agentPath.split("/").filter(Boolean);
    if (scenario === "_calls") return send(200, { calls: calls.get(key) ?? 0 });
    const card = cardFor(base, scenario, key);
    if (req.method === "GET" && path.endsWith(CARD)) return send(200, AgentCardCodec.toJSON(card));
    if (req.method !== "POST") return send(404, { error: "not found" });
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const body = await readBody(req);
    if (scenario === "down") return send(503, { error: "scripted outage" });
    const store = stores.get(key) ?? new InMemoryTaskStore();
    stores.set(key, store);
    const transport = new JsonRpcTransportHandler(new DefaultRequestHandler(card, store, executorFor(scenario)));
    const version = req.headers["a2a-version"];
    const result = await transport.handle(body, new ServerCallContext({ requestedVersion: typeof version === "string" ? version : "1.0" }));
    if (!(result && typeof result === "object" && Symbol.asyncIterator in result)) return send(200, result);
    res.writeHead(200, { "content-type": "text/event-stream" });
    for await (const event of result as AsyncIterable<unknown>) res.write(formatSSEEvent(event));
    res.end();
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      base = `http://127.0.0.1:${port}`;
      resolve({ server, port });
    }),
  );
}
