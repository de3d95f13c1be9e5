// The breakout timer, counted on the server's clock so every screen shows the same time left.

import { setText } from "./dom.js";
import { t, formatDuration } from "./i18n.js";

// Shows `client.timer` in `box` (hidden when no timer runs); `cls` prefixes the state classes.
export function renderTimer(client, box, label, value, cls) {
  const timer = client.timer;
  box.hidden = !timer;
  if (!timer) return;
  const left = Math.max(0, Math.round(timer.ends_at - client.now()));
  box.classList.toggle(`${cls}--over`, left === 0);
  box.classList.toggle(`${cls}--soon`, left > 0 && left <= 60);
  setText(label, left ? t("timer_left") : "");
  setText(value, left ? formatDuration(left) : t("timer_over"));
}
