// Small DOM helpers shared by the pages. Text always goes in as text (textContent), never HTML.

// Bidi embeddings, overrides and isolates in what people typed are shown as markers, never
// obeyed ("[RLO]", as in the exports: facilitator/meeting/usertext.py BIDI_MARKERS).
const BIDI_MARKERS = {
  "\u202a": "[LRE]", "\u202b": "[RLE]", "\u202c": "[PDF]", "\u202d": "[LRO]", "\u202e": "[RLO]",
  "\u2066": "[LRI]", "\u2067": "[RLI]", "\u2068": "[FSI]", "\u2069": "[PDI]",
};
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/g;
export function inert(text) {
  return typeof text === "string" ? text.replace(BIDI_CONTROL, (ch) => BIDI_MARKERS[ch]) : text;
}

// h("p", {class: "x", text: "…", onclick: fn, hidden: true}, child, …)
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = inert(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked" || key === "disabled") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child != null && child !== false) el.append(inert(child));
  return el;
}

// Only touch the DOM when the text changed: screen readers and selections stay put.
export function setText(el, text) {
  const shown = inert(text);
  if (el.textContent !== shown) el.textContent = shown;
}

// A decorative glyph; arrows that point get mirrored in right-to-left pages.
export function icon(glyph, mirrored = false) {
  return h("span", { class: "icon" + (mirrored ? " icon--mirror" : ""), "aria-hidden": "true", text: glyph });
}

// What a person typed: its own language, and the direction its first strong letter says.
export function userText(tag, cls, text, textLang) {
  return h(tag, { class: cls, dir: "auto", lang: textLang || null, text });
}

// Every update re-renders a page's parts. A part whose new build shows the same thing (the same
// nodes, attributes and text, the same form values) stays in place: replacing it anyway swaps a
// button under a click, and a click that lands while its button is replaced is lost.
// The rule holds for each child on its own: a question tab's count that changes (a rapporteur
// typing) replaces the tabs, not the point card under the chair's pointer.
export function replaceIfChanged(container, nodes) {
  let cursor = container.firstChild;
  for (const node of nodes) {
    let match = cursor;
    while (match && !sameView(match, node)) match = match.nextSibling;
    if (match) {
      // kept where it is: what stood before it is gone from the new build
      while (cursor !== match) { const gone = cursor; cursor = cursor.nextSibling; gone.remove(); }
      cursor = match.nextSibling;
    } else {
      container.insertBefore(node, cursor);
    }
  }
  while (cursor) { const gone = cursor; cursor = cursor.nextSibling; gone.remove(); }
}

const CONTROLS = "input,select,textarea";

function controlsOf(node) {
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  return [...(node.matches(CONTROLS) ? [node] : []), ...node.querySelectorAll(CONTROLS)];
}

// isEqualNode compares attributes; a control's value and checked state are properties.
function sameView(shown, built) {
  if (!shown.isEqualNode(built)) return false;
  const before = controlsOf(shown), after = controlsOf(built);
  return before.every((c, i) => c.value === after[i].value && c.checked === after[i].checked);
}
