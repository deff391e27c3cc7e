/**
 * "GLM-4: Choose Model for This GPU": the server's recommendation (`glm4/planner/choose`) and the other options
 * in a quick pick; the choice is written to the settings (model, context size, GPU layers), which reloads
 * the model. Also the one-time first-run message explaining what was chosen.
 */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { ChooseModelRequest, type ChoiceOption, type ChoiceSettings } from "../../server/protocol/planner";
import { updateSetting } from "../config";
import type { Ctx } from "../ctx";

export async function applyChoice(s: Omit<ChoiceSettings, "gpuLayers"> & { gpuLayers: number | "auto" }): Promise<void> {
    await updateSetting("model", s.model);
    await updateSetting("contextSize", s.contextSize);
    await updateSetting("gpuLayers", s.gpuLayers);
}

interface Item extends vscode.QuickPickItem { option?: ChoiceOption; secondary?: ChoiceOption }

export async function chooseModel(client: LanguageClient): Promise<void> {
    const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "GLM-4: reading the GPUs" },
        () => client.sendRequest(ChooseModelRequest.type, undefined),
    );
    const items: Item[] = [
        { label: "Recommended", kind: vscode.QuickPickItemKind.Separator },
        { label: `$(star-full) ${result.recommended.label}`, description: result.recommended.detail, detail: result.explanation, option: result.recommended },
        { label: "Other options", kind: vscode.QuickPickItemKind.Separator },
        ...result.options.map((o) => ({ label: o.label, description: o.detail, option: o })),
    ];
    if (result.completionModel) {
        items.push({ label: "Also fits", kind: vscode.QuickPickItemKind.Separator });
        items.push({
            label: `$(zap) ${result.completionModel.label}`, description: "as the inline completion model (glm4.completionModel): about 2x faster per keystroke",
            detail: result.completionModel.detail, secondary: result.completionModel,
        });
    }
    const gpu = result.detected.gpuType ? result.detected.names.join(" + ") || result.detected.gpuType : "no GPU (CPU only)";
    const pick = await vscode.window.showQuickPick(items, { title: `GLM-4: choose the model for ${gpu}`, matchOnDescription: true, matchOnDetail: true });
    if (pick?.secondary) {
        await updateSetting("completionModel", pick.secondary.settings.model);
        void vscode.window.showInformationMessage(`GLM-4: ${pick.secondary.label} now serves inline completion (downloads if needed).`);
        return;
    }
    if (!pick?.option) return;
    await applyChoice(pick.option.settings);
    void vscode.window.showInformationMessage(`GLM-4: using ${pick.option.label}. The model reloads (and downloads if needed).`);
}

const FIRST_RUN_KEY = "glm4.planner.firstRunShown";

/**
 * Once per installation, while the model settings are untouched: when the model host's first load has
 * started (the planner decides before downloading), say what the planner chose and why.
 */
export async function firstRunMessage(ctx: Ctx): Promise<void> {
    const state = ctx.extension.globalState;
    if (state.get<boolean>(FIRST_RUN_KEY)) return;
    const config = vscode.workspace.getConfiguration("glm4");
    const userSet = ["model", "contextSize", "gpuLayers", "engine"].some((k) => {
        const i = config.inspect(k);
        return i?.globalValue !== undefined || i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
    });
    if (userSet) {
        await state.update(FIRST_RUN_KEY, true);
        return;
    }
    await afterPlanning(ctx);
    const client = await ctx.readyClient();
    const result = await client.sendRequest(ChooseModelRequest.type, undefined);
    if (!result.firstRun) return; // nothing was planned (e.g. the default model was already downloaded)
    await state.update(FIRST_RUN_KEY, true);
    const choice = await vscode.window.showInformationMessage(`GLM-4: ${result.firstRun.explanation}`, "Choose Another…", "Show GPU Requirements");
    if (choice === "Choose Another…") await vscode.commands.executeCommand("glm4.chooseModel");
    else if (choice === "Show GPU Requirements") await vscode.commands.executeCommand("glm4.showGpuRequirements");
}

/** Resolves once the model status shows the first load past planning (downloading, ready or failed). */
function afterPlanning(ctx: Ctx): Promise<void> {
    const done = (s: typeof ctx.status): boolean => !!s && (s.state === "downloading" || s.state === "ready" || s.state === "error");
    if (done(ctx.status)) return Promise.resolve();
    return new Promise((resolve) => {
        const sub = ctx.onDidChangeStatus((s) => {
            if (!done(s)) return;
            sub.dispose();
            resolve();
        });
        ctx.subscriptions.push(sub);
    });
}
