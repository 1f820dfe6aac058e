"""A text box and a Check button that send the typed text with the click: no stale answers.

With an ipywidgets ``Text`` beside a ``Button``, the kernel judges whatever
value it last received.  The front end sends a typed value as a state update,
and holds back further updates of the same widget until the kernel has
answered the previous one, while a button click goes out at once: type fast,
click at once, and the click can overtake the last keystrokes (measured in
JupyterLab: see tests/test_solutions_browser.py).  Here the click carries the
text, exactly as it is in the box at that moment, in one message.

Works wherever anywidget works (JupyterLab, Notebook 7, JupyterLite, Colab).
"""

from __future__ import annotations

from typing import Any, Callable

import anywidget
import traitlets

_ESM = """
export default {
  render({ model, el }) {
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.className = "widget-input tcpnb-number-input";
    input.placeholder = model.get("placeholder");
    input.setAttribute("aria-label", model.get("label"));
    input.style.width = "12em";
    const unit = document.createElement("span");
    unit.textContent = model.get("unit");
    unit.style.alignSelf = "center";
    const button = document.createElement("button");
    button.className = "jupyter-widgets jupyter-button widget-button mod-primary";
    button.textContent = "Check";
    const check = () => model.send({ event: "check", text: input.value });
    button.addEventListener("click", check);
    input.addEventListener("keydown", e => { if (e.key === "Enter") check(); });
    el.style.display = "flex";
    el.style.gap = "8px";
    el.append(input, unit, button);
  }
};
"""


class NumberBox(anywidget.AnyWidget):
    """A text box for a number and a Check button; :meth:`on_check` gets the text at the click."""

    _esm = _ESM
    label = traitlets.Unicode("your answer").tag(sync=True)
    placeholder = traitlets.Unicode("a number").tag(sync=True)
    unit = traitlets.Unicode("").tag(sync=True)

    def __init__(self, unit: str = "", **kwargs: Any) -> None:
        super().__init__(unit=unit, **kwargs)
        if unit:
            self.placeholder = f"a number, in {unit}"
        self._callbacks: list[Callable[[str], None]] = []
        self.on_msg(self._message)

    def on_check(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(text)`` with the box's text each time Check is clicked (or Enter pressed)."""
        self._callbacks.append(callback)

    def check(self, text: str) -> None:
        """Act as if ``text`` had been typed and Check clicked (for tests and scripts)."""
        for callback in self._callbacks:
            callback(text)

    def _message(self, _: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "check":
            self.check(str(content.get("text", "")))

    def _static_html_(self) -> str:
        """How the offline edition shows it: an empty box with the unit."""
        return f'<span class="tcpnb-setting">answer ______ {self.unit}</span>'
