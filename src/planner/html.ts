/**
 * The GPU requirements panel's HTML (vscode-free, unit-tested). Same CSP rules as the chat view: from
 * `default-src 'none'`, the script and stylesheet only with the nonce, images only from the extension or data:,
 * nothing remote, no inline script or style.
 */
export function plannerHtml(opts: { cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
    const csp = [
        "default-src 'none'",
        `img-src ${opts.cspSource} data:`,
        `style-src ${opts.cspSource} 'nonce-${opts.nonce}'`,
        `font-src ${opts.cspSource}`,
        `script-src 'nonce-${opts.nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${opts.nonce}" href="${opts.styleUri}">
<title>GLM-4 GPU requirements</title>
</head>
<body>
<div id="app"></div>
<script nonce="${opts.nonce}" src="${opts.scriptUri}"></script>
</body>
</html>`;
}
