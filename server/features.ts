/** The default feature list. Each feature lives in its own folder and registers its own handlers. */
import type { Feature, ServerContext } from "./feature";
import { InlineCompletionFeature } from "./completion/feature";
import { ChatFeature } from "./chat/feature";
import { PlannerFeature } from "./planner/feature";

export function defaultFeatures(_ctx: Omit<ServerContext, "models">): Feature[] {
    return [new InlineCompletionFeature(), new ChatFeature(), new PlannerFeature()];
}
