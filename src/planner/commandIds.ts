/**
 * The planner area's command ids (GPU requirements, model storage, model choice), free of `vscode` so the
 * package.json sync test can import it. The command table in `index.ts` is typed by this list.
 */
export const COMMAND_IDS = [
    "glm4.showGpuRequirements",
    "glm4.manageModels",
    "glm4.chooseModel",
] as const;

export type PlannerCommandId = (typeof COMMAND_IDS)[number];
