/**
 * The A2A SDK's own client, driving an agent's JSON-RPC binding through the worker's fetch
 * handler (workerd tests), with the caller's Bearer key.
 */
import { exports } from "cloudflare:workers";
import { type Client, ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { KEYS } from "./keys";

/** The origin the worker is reached at in workerd tests. */
export const WORKER_ORIGIN = "http://switchboard.test";

/** fetch into the worker under test, with `key` as the Bearer key (none when null). */
export function workerFetch(key: string | null): typeof fetch {
  return (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (key) request.headers.set("authorization", `Bearer ${key}`);
    return exports.default.fetch(request);
  };
}

/** A client of agent `name`'s A2A server, calling as `key` (default: admin). */
export function a2aClient(name: string, key: string | null = KEYS.admin): Promise<Client> {
  const fetchImpl = workerFetch(key);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    }),
  );
  // The base URL needs its trailing slash: the card path resolves relative to it.
  return factory.createFromUrl(`${WORKER_ORIGIN}/a2a/${name}/`);
}
