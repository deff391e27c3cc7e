/** A tiny DOM builder for the chat view (no innerHTML except sanitized markdown). */
type Child = Node | string | null | undefined | false;

export interface Props {
    class?: string;
    title?: string;
    type?: string;
    dataset?: Record<string, string>;
    attrs?: Record<string, string>;
    onClick?: (e: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
    const el = document.createElement(tag);
    if (props.class) el.className = props.class;
    if (props.title) el.title = props.title;
    if (props.type) el.setAttribute("type", props.type);
    for (const [k, v] of Object.entries(props.dataset ?? {})) el.dataset[k] = v;
    for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
    const onClick = props.onClick;
    if (onClick) el.addEventListener("click", (e) => onClick(e as MouseEvent));
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
}

export function button(label: string, onClick: (e: MouseEvent) => void, props: Props = {}): HTMLButtonElement {
    return h("button", { type: "button", ...props, onClick }, label);
}

export const fmt = (n: number): string => n.toLocaleString("en-US");
