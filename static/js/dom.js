// Small DOM helpers shared by the pages. Text always goes in as text (textContent), never HTML.

// h("p", {class: "x", text: "…", onclick: fn, hidden: true}, child, …)
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked" || key === "disabled") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child != null && child !== false) el.append(child);
  return el;
}

// Only touch the DOM when the text changed: screen readers and selections stay put.
export function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// A decorative glyph; arrows that point get mirrored in right-to-left pages.
export function icon(glyph, mirrored = false) {
  return h("span", { class: "icon" + (mirrored ? " icon--mirror" : ""), "aria-hidden": "true", text: glyph });
}

// What a person typed: its own language, and the direction its first strong letter says.
export function userText(tag, cls, text, textLang) {
  return h(tag, { class: cls, dir: "auto", lang: textLang || null, text });
}
