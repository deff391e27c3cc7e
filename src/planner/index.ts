/**
 * The planner area: "Show GPU Requirements" (webview), "Choose Model for This GPU" (quick pick writing the
 * settings), "Manage Downloaded Models" (quick pick over the model store), and the one-time first-run message.
 */
import type { Ctx } from "../ctx";
import { registerCommandTable, type CommandSpec } from "../commands";
import type { PlannerCommandId } from "./commandIds";
import { RequirementsPanel } from "./requirementsPanel";
import { chooseModel, firstRunMessage } from "./choose";
import { manageModels } from "./manageModels";

export function plannerCommands(ctx: Ctx): Record<PlannerCommandId, CommandSpec> {
    return {
        "glm4.showGpuRequirements": { needsServer: false, run: () => { RequirementsPanel.show(ctx); } },
        "glm4.chooseModel": { needsServer: true, run: (client) => chooseModel(client) },
        "glm4.manageModels": { needsServer: true, run: (client) => manageModels(client) },
    };
}

export function registerPlanner(ctx: Ctx): void {
    registerCommandTable(ctx, plannerCommands(ctx));
    void firstRunMessage(ctx).catch((e) => ctx.log.debug(`planner first-run message skipped: ${(e as Error).message}`));
}
