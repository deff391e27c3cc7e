/** Server-sent events from a fetch body: yields the `data:` payload of each event ("[DONE]" included). */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let buffer = "";
    let data: string[] = [];
    for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl).replace(/\r$/, "");
            buffer = buffer.slice(nl + 1);
            if (line === "") {
                if (data.length) yield data.join("\n");
                data = [];
            } else if (line.startsWith("data:")) {
                data.push(line.slice(5).replace(/^ /, ""));
            }
            // other fields (event:, id:, retry:, comments) are not used by completion streams
        }
    }
    buffer += decoder.decode();
    if (buffer.startsWith("data:")) data.push(buffer.slice(5).replace(/^ /, ""));
    if (data.length) yield data.join("\n");
}
