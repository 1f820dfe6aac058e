"""Two runs in one figure: their ladders one above the other, each as readable as on its own.

Each run is drawn by :func:`tcpnb.views.ladder` exactly as it would be alone (its
labels placed for the narrowest cell), and the two figures are stacked into one:
the second ladder gets its own axes under the first, its title becomes a heading
over it, and the two legends become one.  Stacking keeps every pixel of each
layout, so a figure that reads well on its own still does; the figure fills the
width of its cell like a single ladder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import plotly.graph_objects as go

from ..sim import analysis
from ..sim.trace import Trace
from . import labels, palette
from .ladder import ladder_spec
from .plotlyfigure import make_figure


def _moved(item: dict[str, Any], axes: tuple[str, str]) -> dict[str, Any]:
    """``item`` (a trace, annotation or shape) put on axes ``("x2", "y2")``; paper refs
    become those axes' domains, so they stay where they were in their own figure."""
    moved = dict(item)
    for key, axis in zip(("xref", "yref"), axes):
        ref = moved.get(key, axis[0])
        moved[key] = f"{axis} domain" if ref == "paper" else axis if ref in ("x", "y") else ref
    return moved


Drawing = Union[go.Figure, Mapping[str, Any]]


def stack(top: Drawing, bottom: Drawing) -> go.Figure:
    """``top`` over ``bottom`` in one figure, each keeping its own layout in pixels.

    Each is a figure or its plain ``{"data": ..., "layout": ...}`` (as
    :func:`tcpnb.views.ladder.ladder_spec` gives, which saves building it).  Both
    must have heights and margins set (as :func:`tcpnb.views.ladder` does); the
    result has ``top``'s title and a legend of both.
    """
    one, two = (dict(d) if isinstance(d, Mapping) else d.to_plotly_json() for d in (top, bottom))
    lay1, lay2 = one["layout"], two["layout"]
    (h1, m1), (h2, m2) = (lay1["height"], lay1["margin"]), (lay2["height"], lay2["margin"])
    names = list(dict.fromkeys(t["name"] for t in one["data"] + two["data"]
                               if t.get("showlegend", True) and t.get("name")))
    bottom_margin = palette.bottom_margin(names, below=m2["b"] - palette.bottom_margin(
        [t["name"] for t in two["data"] if t.get("showlegend", True) and t.get("name")]))
    height = h1 + h2 - m2["b"] + bottom_margin
    left, right = min(m1["l"], m2["l"]), max(m1["r"], m2["r"])
    plot = height - m1["t"] - bottom_margin  # the paper's height, in px
    width = lay1.get("width") or labels.DESIGN_WIDTH

    def columns(margin: float) -> list[float]:  # a wider tick margin starts the axis later
        return [(margin - left) / (width - left - right), 1]

    def rows(y0: float, y1: float) -> list[float]:  # pixels from the top -> paper fractions
        # min/max: the top edge works out as 1.0000000000000002 for some heights (float
        # rounding), which plotly rejects as a domain
        return [max(0.0, (height - bottom_margin - y1) / plot),
                min(1.0, (height - bottom_margin - y0) / plot)]

    layout = dict(lay1)
    layout.update(
        height=height, margin=dict(l=left, r=right, t=m1["t"], b=bottom_margin),
        xaxis={**lay1["xaxis"], "domain": columns(m1["l"]), "anchor": "y"},
        yaxis={**lay1["yaxis"], "domain": rows(m1["t"], h1 - m1["b"]), "anchor": "x"},
        xaxis2={**lay2["xaxis"], "domain": columns(m2["l"]), "anchor": "y2"},
        yaxis2={**lay2["yaxis"], "domain": rows(h1 + m2["t"], height - bottom_margin),
                "anchor": "x2"},
        title={**lay1["title"], "y": 1 - (1 - lay1["title"]["y"]) * h1 / height},
        annotations=[_moved(a, ("x", "y")) for a in lay1.get("annotations", ())]
        + [_moved(a, ("x2", "y2")) for a in lay2.get("annotations", ())]
        + [dict(text=lay2["title"]["text"], xref="paper", yref="y2 domain", x=0, y=1,
                xanchor="left", yanchor="top", xshift=6 - left, yshift=m2["t"] - 8,
                align="left", showarrow=False, font=lay2["title"]["font"])],
        shapes=[_moved(s, ("x", "y")) for s in lay1.get("shapes", ())]
        + [_moved(s, ("x2", "y2")) for s in lay2.get("shapes", ())],
        meta={"left out": (lay1.get("meta") or {}).get("left out", [])
              + (lay2.get("meta") or {}).get("left out", [])})
    seen: set[str] = set()
    data = []
    for trace, axes in [(t, ("x", "y")) for t in one["data"]] + [(t, ("x2", "y2"))
                                                                 for t in two["data"]]:
        trace = {**trace, "xaxis": axes[0], "yaxis": axes[1], "legendgroup": trace.get("name")}
        if trace.get("name") in seen:
            trace["showlegend"] = False
        elif trace.get("showlegend", True) and trace.get("name"):
            seen.add(trace["name"])
        data.append(trace)
    return make_figure(data, layout)


def numbered(trace: Trace, k: int, name: str, **kwargs: Any) -> dict[str, Any]:
    """The ladder of run number ``k``, titled "(k) name: what happened" (``kwargs`` as for
    :func:`tcpnb.views.ladder`), as plain dicts (:func:`~tcpnb.views.ladder.ladder_spec`)."""
    return ladder_spec(trace, title=f"({k}) {name}: {analysis.summary(trace)}", **kwargs)


def pair(left: Trace, right: Trace, names: tuple[str, str] = ("run 1", "run 2"), *,
         relative: bool = False, cut: bool | float = True,
         labels: bool | None = None) -> go.Figure:
    """The ladders of ``left`` and ``right``, one above the other, each titled with its
    ``names`` entry and what happened in it.

    Args:
        left, right: two runs, e.g. one scenario with two settings.
        names: what each run is.
        relative, cut, labels: as for :func:`tcpnb.views.ladder`.
    """
    for what, trace in (("left", left), ("right", right)):
        if not isinstance(trace, Trace):
            raise ValueError(f"{what} must be a tcpnb.Trace, got {type(trace).__name__}")
    return stack(*(numbered(trace, k, name, relative=relative, cut=cut, labels=labels)
                   for k, (name, trace) in enumerate(zip(names, (left, right)), start=1)))
