/**
 * McpSessionDO: one per MCP session (`Mcp-Session-Id`, verified before any lookup), the place a
 * client's `notifications/cancelled` meets the `tools/call` it names (lib/mcp/cancel-board.ts).
 * It stores nothing: a session with no call running has nothing to lose.
 */
import { DurableObject } from "cloudflare:workers";
import { CancelBoard, type McpSessionApi } from "../lib/mcp/cancel-board";

export class McpSessionDO extends DurableObject<Env> implements McpSessionApi {
  private readonly board = new CancelBoard();

  watch(requestId: string): Promise<string | null> {
    return this.board.watch(requestId);
  }

  cancel(requestId: string, reason: string): boolean {
    return this.board.cancel(requestId, reason);
  }

  release(requestId: string): void {
    this.board.release(requestId);
  }
}
