import { SaxesParser } from "saxes";

// Reading: saxes (the gateway's XML parser too) checks well-formedness; prefixes are kept as written and
// elements resolved here to (namespace URI, local name) with the xmlns declarations in scope — clients pick
// their own prefixes, cameras must not care. Writing: a tiny element tree serialised the way each vendor's
// firmware lays out its XML.

/** An element of a parsed document, its name resolved against the namespaces in scope. */
export interface XmlElement {
  readonly ns: string;
  readonly local: string;
  /** Attributes by their name as written (`xmlns:*` included). */
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Concatenated text content, trimmed. */
  readonly text: string;
  /** Prefix → namespace URI in scope at this element ("" is the default namespace). */
  readonly scope: ReadonlyMap<string, string>;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

interface Open {
  ns: string;
  local: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
  scope: ReadonlyMap<string, string>;
}

/** Parses a whole document. Refuses DTDs (gSOAP firmware does too) and anything not well-formed. */
export function parseXml(text: string): XmlElement {
  if (/<!DOCTYPE/i.test(text)) throw new XmlError("DTDs are not accepted");
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  const parser = new SaxesParser();
  parser.on("opentag", (tag) => {
    const parentScope = stack.at(-1)?.scope ?? new Map<string, string>();
    const attrs = new Map<string, string>(Object.entries(tag.attributes).map(([k, v]) => [k, v]));
    let scope = parentScope;
    for (const [name, value] of attrs) {
      if (name === "xmlns" || name.startsWith("xmlns:")) {
        if (scope === parentScope) scope = new Map(parentScope);
        (scope as Map<string, string>).set(name === "xmlns" ? "" : name.slice(6), value);
      }
    }
    const resolved = resolveQName(tag.name, scope);
    if (resolved === undefined) throw new XmlError(`undeclared namespace prefix in <${tag.name}>`);
    stack.push({ ...resolved, attrs, children: [], text: "", scope });
  });
  const addText = (t: string) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => {
    const open = stack.pop();
    if (!open) return;
    const element: XmlElement = { ...open, text: open.text.trim() };
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
  });
  try {
    parser.write(text).close();
  } catch (e) {
    if (e instanceof XmlError) throw e;
    throw new XmlError(`not well-formed: ${(e as Error).message}`);
  }
  if (root === undefined) throw new XmlError("expected exactly one root element");
  return root;
}

/**
 * Resolves a QName (`dn:NetworkVideoTransmitter`) against a scope. Element names without a prefix take
 * the default namespace; QNames in text content (WS-Discovery Types) do too, per XML Schema.
 */
export function resolveQName(
  qname: string,
  scope: ReadonlyMap<string, string>,
): { ns: string; local: string } | undefined {
  const colon = qname.indexOf(":");
  if (colon < 0) return { ns: scope.get("") ?? "", local: qname };
  const ns = scope.get(qname.slice(0, colon));
  return ns === undefined ? undefined : { ns, local: qname.slice(colon + 1) };
}

/** The first child with this namespace and local name. */
export function child(parent: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return parent?.children.find((c) => c.ns === ns && c.local === local);
}

/** An element to write: a qualified name as the vendor spells it, attributes in order, then text or children. */
export interface XmlNode {
  readonly name: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly text?: string;
  readonly children?: readonly XmlNode[];
}

/** Builds an element; content is text (numbers and booleans as the firmware prints them) or children. */
export function el(
  name: string,
  content?: string | number | boolean | readonly XmlNode[],
  attrs?: Readonly<Record<string, string>>,
): XmlNode {
  if (typeof content === "object") return { name, attrs, children: content };
  return { name, attrs, text: content === undefined ? undefined : String(content) };
}

/**
 * How a vendor lays out XML: Hikvision firmware ends every end tag (and empty-element tag) with a
 * newline and nothing else; Dahua firmware writes everything on one line.
 */
export type XmlLayout = "newline-after-end-tag" | "compact";

export function serialize(node: XmlNode, layout: XmlLayout): string {
  const eol = layout === "newline-after-end-tag" ? "\n" : "";
  const attrs = Object.entries(node.attrs ?? {})
    .map(([name, value]) => ` ${name}="${escapeAttr(value)}"`)
    .join("");
  if (node.children !== undefined && node.children.length > 0) {
    const inner = node.children.map((c) => serialize(c, layout)).join("");
    return `<${node.name}${attrs}>${inner}</${node.name}>${eol}`;
  }
  if (node.text === undefined || node.text === "") return `<${node.name}${attrs}/>${eol}`;
  return `<${node.name}${attrs}>${escapeText(node.text)}</${node.name}>${eol}`;
}

export function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, "&quot;");
}
