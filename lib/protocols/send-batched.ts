/**
 * Queue messages sent in as few `sendBatch` calls as a queue takes (100 messages and 256 KB per
 * call): one subrequest per batch, where one `send` per message would meet the Workers plan's
 * subrequest limit. Used for observer fan-out and for replays of dead letters.
 */
import { utf8Length } from "../message/byte-size";

/** Queue sendBatch limits: 100 messages and 256 KB per call (a margin kept for the envelope). */
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 240 * 1024;

/** Sends the messages in as few `sendBatch` calls as the queue limits allow. */
export async function sendBatched(queue: Queue, messages: readonly unknown[]): Promise<void> {
  let batch: MessageSendRequest[] = [];
  let bytes = 0;
  for (const body of messages) {
    const size = utf8Length(JSON.stringify(body)) + 100;
    if (batch.length === BATCH_MESSAGES || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body, contentType: "json" });
    bytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}
