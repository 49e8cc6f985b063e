/** The typed Switchboard client: `createSwitchboardClient`, its error, and the API's shapes. */
export { type AgentStream, type CallOptions, type ClientOptions, createSwitchboardClient, isWaiting, type SwitchboardClient } from "./client";
export { type ProblemDetails, SwitchboardApiError, type SwitchboardErrorCode } from "./errors";
export type * from "./types";
