"""The controls a panel is made of -- sliders, choices, yes/no -- each checked, and laid out to wrap.

Each control knows the values it allows (checked with :mod:`tcpnb.core.validate`,
so a bad value is a :class:`~tcpnb.core.errors.UsageError` naming the control and
its range), the ipywidget that shows it, and the least width at which it stays
usable.  :func:`row` puts a panel's controls in a row that wraps to more lines
in a narrow notebook instead of shrinking them: a slider keeps a track of at
least :data:`TRACK` pixels.  All labels of a panel share one width, so the
sliders' tracks and the buttons start at one x.  ipywidgets 7.7 and 8.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import ipywidgets as w

from ..core import validate

#: Pixels: a label's width per character; a slider's least track, its readout; a control's
#: greatest width; a toggle button's width.
PX_PER_CHAR, TRACK, READOUT, MAX_WIDTH, BUTTON = 7.5, 120, 60, 460, 80


def label_width(labels: Sequence[str]) -> int:
    """The width in pixels of a label column that fits every one of ``labels``."""
    return round(max([len(label) for label in labels] or [0]) * PX_PER_CHAR) + 12


def _fit(item: w.Widget, least: int) -> w.Widget:
    """Let ``item`` grow from ``least`` pixels up to :data:`MAX_WIDTH`, and never shrink below."""
    item.layout.flex, item.layout.width = f"1 1 {least}px", "auto"
    item.layout.min_width, item.layout.max_width = f"{least}px", f"{MAX_WIDTH}px"
    return item


def _beside(label: str, widget: w.Widget, label_px: int, least: int) -> w.Widget:
    """``widget`` with ``label`` on its left, right-aligned in the panel's label column."""
    text = w.HTML(f'<div style="text-align: right; padding-right: 8px">{html.escape(label)}</div>',
                  layout=w.Layout(width=f"{label_px}px", flex="none"))
    return _fit(w.HBox([text, widget], layout=w.Layout(align_items="center")), least)


@dataclass(frozen=True)
class Slider:
    """A number between ``low`` and ``high`` in steps of ``step`` (whole numbers if ``whole``)."""

    label: str
    low: float
    high: float
    step: float
    whole: bool = False

    def check(self, name: str, value: Any) -> Any:
        """``value`` if the slider allows it; else a :class:`UsageError` with the range."""
        if self.whole:
            return validate.whole(name, value, int(self.low), int(self.high))
        return validate.number(name, value, self.low, self.high)

    def widget(self, value: Any, label_px: int) -> w.ValueWidget:
        kind = w.IntSlider if self.whole else w.FloatSlider
        return kind(value=value, min=self.low, max=self.high, step=self.step,
                    description=self.label, continuous_update=False,
                    style={"description_width": f"{label_px}px"})

    def item(self, widget: w.ValueWidget, label_px: int) -> w.Widget:
        return _fit(widget, label_px + TRACK + READOUT)


@dataclass(frozen=True)
class Choice:
    """One of ``options``, given as ``(label, value)`` pairs; shown as buttons or as a drop-down."""

    label: str
    options: tuple[tuple[str, Any], ...]
    buttons: bool = True

    def check(self, name: str, value: Any) -> Any:
        """``value`` if it is one of the options (``"RFC"`` passes for ``"rfc"``)."""
        values = [v for _, v in self.options]
        if isinstance(value, str) and value not in values and value.lower() in values:
            value = value.lower()
        return validate.choice(name, value, values)

    def widget(self, value: Any, label_px: int) -> w.ValueWidget:
        if not self.buttons:
            return w.Dropdown(options=list(self.options), value=value, description=self.label,
                              style={"description_width": f"{label_px}px"})
        return w.ToggleButtons(options=list(self.options), value=value,
                               style={"button_width": f"{BUTTON}px"},
                               layout=w.Layout(width="auto"))

    def item(self, widget: w.ValueWidget, label_px: int) -> w.Widget:
        if not self.buttons:
            return _fit(widget, label_px + 200)
        return _beside(self.label, widget, label_px,
                       label_px + len(self.options) * (BUTTON + 6) + 8)


@dataclass(frozen=True)
class Flag:
    """Yes or no: a checkbox with ``label`` beside it, in line with the sliders' tracks."""

    label: str

    def check(self, name: str, value: Any) -> bool:
        """``value`` if it is ``True`` or ``False``."""
        return validate.flag(name, value)

    def widget(self, value: Any, label_px: int) -> w.ValueWidget:
        return w.Checkbox(value=value, description=self.label, indent=False,
                          layout=w.Layout(width="auto"))

    def item(self, widget: w.ValueWidget, label_px: int) -> w.Widget:
        return _beside("", widget, label_px, label_px + round(len(self.label) * PX_PER_CHAR) + 40)


Control = Union[Slider, Choice, Flag]


def row(items: Sequence[w.Widget]) -> w.Box:
    """Controls side by side, wrapping to more lines when the notebook is narrow."""
    return w.Box(list(items), layout=w.Layout(display="flex", flex_flow="row wrap",
                                              align_items="center", width="100%"))
