/**
 * Tiny DOM builders. Text only ever enters the page as text nodes or `textContent`; no
 * innerHTML anywhere in the webview.
 */
import type { ToolkitTag } from './toolkit';

export type Child = Node | string | null | undefined | false;

export interface Props {
  className?: string;
  text?: string;
  /** Tooltip (the `title` attribute; set as an attribute value, never parsed as HTML). */
  title?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), props, children);
}

/** A custom element: one of the toolkit's components that toolkit.ts registers. */
export function custom(tag: ToolkitTag, props: Props = {}, ...children: Child[]): HTMLElement {
  return fill(document.createElement(tag), props, children);
}

function fill<E extends HTMLElement>(element: E, props: Props, children: Child[]): E {
  if (props.className) element.className = props.className;
  if (props.title) element.title = props.title;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (/^on/i.test(name) || name.toLowerCase() === 'style') throw new Error(`refusing attribute ${name}`);
      element.setAttribute(name, value);
    }
  }
  if (props.text !== undefined) element.textContent = props.text;
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}
