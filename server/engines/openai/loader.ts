/** The `openai-compatible` engine for the model host (`glm4.engine`): connect to `glm4.serverUrl`. */
import type { EngineLoader } from "../../model/llama/localEngine";
import { connectOpenAi } from "./openaiModel";

export function openAiEngine(): EngineLoader {
    return async ({ settings, signal, log, report }) => {
        report({ state: "loading", fraction: 0, message: `Connecting to ${settings.serverUrl}` });
        const model = await connectOpenAi({ serverUrl: settings.serverUrl, serverModel: settings.serverModel, signal });
        log.info(`OpenAI-compatible engine: ${model.info.device}.`);
        report({ state: "loading", fraction: 1, message: model.info.device });
        return { model };
    };
}
