/**
 * What holds back an agent's async deliveries right now: the pause, flow control, later due times
 * and schedules. Its home object answers it in the agent's status and its metrics (the dashboard
 * reads the latter, so one request per agent shows both).
 */
export interface DeliveryStatus {
  /** POST /agents/:name/pause is in force. */
  paused: boolean;
  /** Messages held by flow control or the pause (pending, not enqueued). */
  held: number;
  /** Messages waiting for their `deliver_at` (or a debounce window). */
  scheduled: number;
  schedules: number;
  /** The soonest firing of a schedule that is not paused. */
  next_firing_at: string | null;
}
