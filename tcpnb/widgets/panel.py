"""The common part of the course's hand-made control panels.

A panel is a set of named controls (ipywidgets), one ``Output`` showing a
figure, and a ``redraw()`` that draws the figure for the controls' values.
This base class gives every panel the same ``values``, ``update(**values)``
(what moving the controls does, callable from Python and tests) and display.
It imports no widget or plotting library until a method needs one.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import UsageError


class ControlPanel:
    """Named controls that redraw one figure in place; subclasses write :meth:`redraw`.

    A subclass fills ``self.controls`` (name -> ipywidget) and ``self.widget``
    (the layout), then calls :meth:`watch` and :meth:`redraw`.
    """

    controls: dict[str, Any]
    widget: Any

    def redraw(self) -> None:
        """Draw for the current values (subclasses)."""
        raise NotImplementedError

    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def watch(self) -> None:
        """Redraw whenever a control changes."""
        for control in self.controls.values():
            control.observe(lambda _: self.redraw(), names="value")

    def update(self, **values: Any) -> None:
        """Set controls by name, then redraw once."""
        unknown = [name for name in values if name not in self.controls]
        if unknown:
            raise UsageError(f"no such control: {', '.join(unknown)}; this panel has "
                             + ", ".join(self.controls))
        for control in self.controls.values():
            control.unobserve_all("value")
        for name, value in values.items():
            self.controls[name].value = value
        self.watch()
        self.redraw()

    @staticmethod
    def show(output: Any, figure: Any) -> None:
        """Replace what ``output`` shows with ``figure`` (no output piles up)."""
        from .scenario_panel import mimebundle

        output.outputs = ({"output_type": "display_data", "metadata": {},
                           "data": mimebundle(figure)},)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]
