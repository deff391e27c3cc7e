/** The default feature list. Each feature lives in its own folder and registers its own handlers. */
import type { Feature, ServerContext } from "./feature";
import { InlineCompletionFeature } from "./completion/feature";
import { ChatFeature } from "./chat/feature";
import { PlannerFeature } from "./planner/feature";

export function defaultFeatures(_ctx: Omit<ServerContext, "models">): Feature[] {
    // e2e hook (like GLM4_CHAT_TEST_GRAMMAR): a GBNF grammar that forces the tiny model's suggestion through the real engine.
    const completionGrammar = process.env.GLM4_COMPLETION_TEST_GRAMMAR;
    return [new InlineCompletionFeature(completionGrammar ? { grammar: { kind: "gbnf", text: completionGrammar } } : {}), new ChatFeature(), new PlannerFeature()];
}
