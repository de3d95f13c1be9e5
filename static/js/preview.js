// The chair's console: a live preview of the plenary screen. The frame holds the plenary page
// itself, as the projector runs it (the same module, key and live events), laid out at the
// projector's 1920×1080 and scaled down to the width of its panel.

const box = document.getElementById("ch-preview-box");
const frame = document.getElementById("ch-preview");

function fitPreview() {
  const scale = box.clientWidth / frame.width;
  box.style.setProperty("--ch-preview-scale", String(scale));
}

if (box && frame) {
  new ResizeObserver(fitPreview).observe(box);
  fitPreview();
}
