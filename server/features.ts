/** The default feature list. Each feature lives in its own folder and registers its own handlers. */
import type { Feature, ServerContext } from "./feature";
import { InlineCompletionFeature } from "./completion/feature";

export function defaultFeatures(_ctx: Omit<ServerContext, "models">): Feature[] {
    return [new InlineCompletionFeature()];
}
