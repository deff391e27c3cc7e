/**
 * The one HTML shell of every webview (vscode-free, unit-tested through its callers). The CSP starts from
 * `default-src 'none'`: the script and stylesheet only with the nonce, images only from the extension or data:
 * URLs, fonts only from the extension, nothing remote, no inline script or style.
 */
export interface WebviewHtmlOptions {
    cspSource: string;
    nonce: string;
    scriptUri: string;
    styleUri: string;
}

export function webviewHtml(title: string, opts: WebviewHtmlOptions): string {
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
<title>${title}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${opts.nonce}" src="${opts.scriptUri}"></script>
</body>
</html>`;
}
