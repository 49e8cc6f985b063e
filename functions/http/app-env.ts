/** The Hono environment of every route: the Worker's bindings, and what the middleware sets per request. */
import type { Principal } from "../../lib/security/keys";

export type AppEnv = { Bindings: Env; Variables: { principal: Principal; traceparent: string } };
