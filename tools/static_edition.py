"""Static stand-ins, for pages without a kernel, of what needs one: figures and control panels.

tools/build.py uses this module twice:

* in the kernel that executes a notebook for the offline edition, :func:`install` makes every
  displayed widget also carry a ``text/html`` picture of itself as it is when displayed, that
  is, at its starting settings; and every figure drawn by ``tcpnb.ladder`` carries its
  text ladder (``tcpnb.text_ladder(trace)``) in ``layout.meta``;
* on the executed notebook, :func:`figure_html` turns each plotly figure into a div that needs
  only a local ``plotly.min.js``, with its text version beside it, and :func:`fold_solutions`
  sets each solution's folds: the template wraps a code solution (its code and its output) in
  one "Show the solution" fold, closed for learners and open in the instructor edition.
"""

from __future__ import annotations

import base64
import functools
import html
import itertools
import json
import re
from typing import Any

from tcpnb.course import reveal

TEXT_KEY = "tcpnb_text"
SOLUTION_TAGS = {"solution", "exercise-solution"}  # as in sync_notebooks.py
PLOTLY_MIME = "application/vnd.plotly.v1+json"
_ids = itertools.count(1)


def _script_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def figure_html(figure: dict[str, Any], prefix: str = "fig") -> str:
    """A plotly figure (as a dict) as HTML: the plot, and its text version beside it if it has one."""
    figure = json.loads(json.dumps(figure))
    layout = figure.setdefault("layout", {})
    meta = layout.get("meta")
    text = meta.pop(TEXT_KEY, None) if isinstance(meta, dict) else None
    if isinstance(meta, dict) and not meta:
        del layout["meta"]
    title = layout.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else str(title)
    label = html.escape(" ".join(title.replace("<br>", " ").split()) or "figure", quote=True)
    div = f"tcpnb-{prefix}-{next(_ids)}"
    size = f"height:{int(layout.get('height') or 450)}px"
    if layout.get("width"):
        size += f";flex:0 0 {int(layout['width'])}px"
    plot = (f'<div id="{div}" class="tcpnb-plot" style="{size}" role="img" aria-label="{label}">'
            '</div>'
            f'<script>Plotly.newPlot("{div}", {_script_json(figure.get("data", []))}, '
            f'{_script_json(layout)}, {{"displaylogo": false, "responsive": true}});</script>')
    if not text:
        return f'<div class="tcpnb-static">{plot}</div>'
    return (f'<div class="tcpnb-static">{plot}<details class="tcpnb-text" open>'
            f'<summary>Text version</summary><pre>{html.escape(text)}</pre></details></div>')


def output_html(output: dict[str, Any]) -> str:
    """One stored output (as in a notebook file) as static HTML."""
    data = output.get("data", {})
    if PLOTLY_MIME in data:
        return figure_html(data[PLOTLY_MIME], "out")
    if "text/html" in data:
        return str(data["text/html"])
    if "image/png" in data:
        return f'<img alt="" src="data:image/png;base64,{data["image/png"]}">'
    text = output.get("text") or data.get("text/plain") or ""
    return f"<pre>{html.escape(str(text))}</pre>" if text else ""


def widget_html(widget: Any) -> str:
    """A widget and its children as static HTML, as they are now."""
    import ipywidgets as w
    from plotly.basewidget import BaseFigureWidget

    if isinstance(widget, BaseFigureWidget):
        return figure_html(widget.to_dict(), "widget")
    if reveal.CLASS in getattr(widget, "_dom_classes", ()):  # a solution that shows a figure
        inside = "".join(widget_html(child) for child in widget.children)
        return reveal.details(widget.get_title(0) or reveal.SUMMARY, inside)
    if callable(getattr(widget, "_static_html_", None)):  # e.g. a self-check's number box
        return str(widget._static_html_())
    if isinstance(widget, w.Box):
        direction = "row" if isinstance(widget, w.HBox) else "column"
        inner = "".join(widget_html(child) for child in widget.children)
        return f'<div class="tcpnb-box" style="display:flex;flex-direction:{direction};gap:8px">{inner}</div>'
    if isinstance(widget, w.Output):
        return "".join(output_html(dict(o)) for o in widget.outputs)
    if isinstance(widget, (w.HTML, w.HTMLMath)):
        return f"<div>{widget.value}</div>"
    if isinstance(widget, w.Label):
        return f"<p>{html.escape(str(widget.value))}</p>"
    if isinstance(widget, w.Image) and widget.format == "png":
        return f'<img alt="" src="data:image/png;base64,{base64.b64encode(widget.value).decode()}">'
    if isinstance(widget, (w.RadioButtons, w.Select, w.SelectMultiple)) or (
            isinstance(widget, (w.ToggleButtons, w.Dropdown)) and widget.value is None):
        options = "".join(f"<li>{html.escape(str(label))}</li>" for label in widget._options_labels)
        head = f"<p>{html.escape(widget.description)}</p>" if widget.description else ""
        return f'<div class="tcpnb-options">{head}<ul>{options}</ul></div>'
    if isinstance(widget, (w.Text, w.FloatText, w.IntText, w.BoundedFloatText, w.BoundedIntText)):
        return f'<span class="tcpnb-setting">{html.escape(widget.description)} ______</span>'
    if isinstance(widget, w.ValueWidget) and getattr(widget, "description", None):
        value = widget.label if hasattr(widget, "label") and widget.label else widget.value
        return (f'<span class="tcpnb-setting">{html.escape(widget.description)} = '
                f"{html.escape(str(value))}</span>")
    return ""


def panel_html(widget: Any) -> str:
    """A displayed widget as the static edition shows it: a note, then the widget."""
    if reveal.CLASS in getattr(widget, "_dom_classes", ()):
        return widget_html(widget)  # a solution's fold, not a panel
    return ('<div class="tcpnb-panel"><p class="tcpnb-note">Interactive in JupyterLab, Binder or '
            "Colab; shown here as it starts.</p>"
            f"{widget_html(widget)}</div>")


def install() -> None:
    """Run in the executing kernel: give widgets a static picture and ladders a text version."""
    import ipywidgets

    import tcpnb.views.ladder as ladder_module
    from tcpnb import text_ladder

    widget_bundle = ipywidgets.Widget._repr_mimebundle_

    def _repr_mimebundle_(self: Any, **kwargs: Any) -> Any:
        bundle = widget_bundle(self, **kwargs)
        if bundle:
            bundle["text/html"] = panel_html(self)
        return bundle

    ipywidgets.Widget._repr_mimebundle_ = _repr_mimebundle_

    draw = ladder_module.ladder

    @functools.wraps(draw)
    def ladder(trace: Any, *args: Any, **kwargs: Any) -> Any:
        figure = draw(trace, *args, **kwargs)
        meta = figure.layout.meta if isinstance(figure.layout.meta, dict) else {}
        figure.layout.meta = {**meta, TEXT_KEY: text_ladder(trace)}
        return figure

    ladder_module.ladder = ladder


def fold_solutions(nb: Any, instructor: bool = False) -> None:
    """Set the folds of the solution cells of an executed notebook (nbformat) for the edition.

    The template folds a code solution's cell, code and output, in one "Show the solution"
    fold, so the output loses the fold ``tcpnb.solution()`` gave it in the notebook.  A
    markdown answer's ``<details>`` stays closed for learners; the instructor edition opens it.
    """
    inner = re.compile(rf'<details class="{reveal.CLASS}"><summary[^>]*>[^<]*</summary>(.*)'
                       r"</details>", re.S)
    for cell in nb.cells:
        if not SOLUTION_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "markdown" and instructor:
            cell.source = re.sub(r"<details(?=[\s>])", "<details open", cell.source, count=1)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            found = inner.fullmatch(str(data.get("text/html", "")).strip())
            if found:
                data["text/html"] = found[1]
