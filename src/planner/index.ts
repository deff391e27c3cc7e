/** The planner area: GPU requirements view, model choice, downloaded models. */
import type { Ctx } from "../ctx";

export function registerPlanner(_ctx: Ctx): void {
    // commands land in the next commit
}
