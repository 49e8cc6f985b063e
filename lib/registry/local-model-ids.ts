/**
 * The offline provider's model ids: what an entry with `model.provider: "local"` may name. Kept in
 * the registry, which validates entries, so the registry never imports the model code;
 * lib/model/local-model.ts answers each id.
 */
export const LOCAL_MODELS = ["local-echo", "local-sentiment", "local-router"] as const;
export type LocalModelId = (typeof LOCAL_MODELS)[number];
