"""Where a finished plotly figure's text lands, in pixels, and which text overlaps.

:func:`figure_boxes` estimates every text box of a figure (its title, each
annotation, text drawn on markers) and its loss marks (the markers of traces
whose ``meta.kind`` is ``"lost"``) for a given width, with the character-width
model of :mod:`tcpnb.views.labels`; :func:`collisions` lists overlaps and
clipped text; :func:`check` does both at several widths.  Figures may have
several axes (``"x2"``, ``"y2 domain"`` references), as a stacked pair has.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Sequence

from .labels import DESIGN_WIDTH, Box, Frame, anchored, lines_of, text_size


def frame_of(fig: Any, width: float | None = None, x: str = "x", y: str = "y") -> Frame:
    """The frame of axes ``x`` and ``y`` ("x2", "y2", ...) of a plotly figure drawn
    ``width`` px wide (a fixed ``layout.width`` wins).

    Positions are in axis units: categories count 0, 1, 2, ... and a log
    axis is in powers of ten (see :func:`axis_value`).
    """
    spec = _spec(fig)
    layout = spec.get("layout", {})
    m = {**dict(l=80, r=80, t=100, b=80), **layout.get("margin", {})}
    xd, yd = (tuple(_axis(spec, a).get("domain", (0.0, 1.0))) for a in (x, y))
    return Frame(float(layout.get("width") or width or 700), float(layout.get("height") or 450),
               (float(m["l"]), float(m["r"]), float(m["t"]), float(m["b"])),
               _range(spec, x), _range(spec, y), (float(xd[0]), float(xd[1])),
               (float(yd[0]), float(yd[1])))


def _spec(fig: Any) -> dict[str, Any]:
    """A figure as plain data: ``{"data": [...], "layout": {...}}``."""
    spec: dict[str, Any] = fig if isinstance(fig, dict) else fig.to_plotly_json()
    return spec


def _axis(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The layout of axis ``name`` ("x", "y2", ...)."""
    axis: dict[str, Any] = spec.get("layout", {}).get(name[0] + "axis" + name[1:], {})
    return axis


def _on(trace: dict[str, Any], name: str) -> bool:
    """Is ``trace`` drawn on axis ``name``?"""
    return bool(trace.get(name[0] + "axis", name[0]) == name)


def _categories(spec: dict[str, Any], name: str) -> list[Any]:
    seen: dict[Any, None] = {}
    for trace in spec.get("data", []):
        if not _on(trace, name):
            continue
        for v in trace.get(name[0]) or ():
            if isinstance(v, str):
                seen.setdefault(v)
    return list(seen)


def axis_value(spec: dict[str, Any], name: str, value: Any,
               categories: list[Any] | None = None) -> float | None:
    """``value`` on axis ``name`` in axis units (category index, log10 on a log axis)."""
    if value is None:
        return None
    if isinstance(value, str):
        return float((categories if categories is not None
                      else _categories(spec, name)).index(value))
    if _axis(spec, name).get("type") == "log":
        return math.log10(value) if value > 0 else None
    return float(value)


def _range(spec: dict[str, Any], name: str) -> tuple[float, float]:
    """The axis range as plotly draws it: the layout's, else plotly's autorange (5 % padding)."""
    axis = _axis(spec, name)
    if axis.get("range") is not None:
        return float(axis["range"][0]), float(axis["range"][1])
    categories = _categories(spec, name)
    if categories:
        low, high = -0.5, len(categories) - 0.5
    else:
        values = [v for trace in spec.get("data", []) if _on(trace, name) for v in
                  (axis_value(spec, name, x, []) for x in trace.get(name[0]) or ())
                  if v is not None]
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        tozero = axis.get("rangemode") == "tozero"
        if tozero:
            low, high = min(low, 0.0), max(high, 0.0)
        pad = 0.05 * ((high - low) or 1.0)
        low, high = low - (0 if tozero and low == 0 else pad), high + pad
    return (high, low) if axis.get("autorange") == "reversed" else (low, high)


def _ref(ref: str | None, default: str) -> tuple[str, str]:
    """``(axis, how)`` of an annotation's reference: ``("x2", "data")``, ``("y", "domain")``,
    or ``("", "paper")``."""
    ref = ref or default
    if ref == "paper":
        return "", "paper"
    return ref.split()[0], "domain" if ref.endswith("domain") else "data"


def _annotation_box(note: dict[str, Any], frames: Any, size: float) -> Box:
    size = float(note.get("font", {}).get("size") or size)
    (xaxis, xhow), (yaxis, yhow) = _ref(note.get("xref"), "x"), _ref(note.get("yref"), "y")
    frame = frames(xaxis or "x", yaxis or "y")
    x, y = float(note.get("x") or 0), float(note.get("y") or 0)
    xanchor, yanchor = note.get("xanchor", "auto"), note.get("yanchor", "auto")
    if xanchor == "auto":
        xanchor = "center" if xhow == "data" else (
            "left" if x <= 1 / 3 else "right" if x >= 2 / 3 else "center")
    if yanchor == "auto":
        yanchor = "middle" if yhow == "data" else (
            "bottom" if y <= 1 / 3 else "top" if y >= 2 / 3 else "middle")
    width, height = text_size(note.get("text", ""), size)
    pad = 2 * (float(note.get("borderpad", 1)) + float(note.get("borderwidth", 1)))
    px, py = frame.px(x, y, "paper" if xhow == "paper" else xhow,
                      "paper" if yhow == "paper" else yhow)
    px, py = px + float(note.get("xshift", 0)), py - float(note.get("yshift", 0))
    if note.get("showarrow", True) and note.get("axref", "pixel") == "pixel" and note.get(
            "ayref", "pixel") == "pixel":  # the text is at the arrow's tail (default -10, -30)
        px, py = px + float(note.get("ax", -10)), py + float(note.get("ay", -30))
    return anchored(px, py, width + pad, height + pad, xanchor, yanchor,
                    what="annotation: " + " ".join(lines_of(note.get("text", ""))))


def title_box(fig: Any, frame: Frame) -> Box | None:
    """The title's box (see :func:`title_layout`; otherwise centred in the top margin)."""
    layout = _spec(fig).get("layout", {})
    title = layout.get("title", {})
    if not title.get("text"):
        return None
    size = float(title.get("font", {}).get("size") or layout.get("font", {}).get("size", 12) * 1.4)
    width, height = text_size(title["text"], size)
    x = float(title.get("x", 0.5)) * frame.width
    anchor = title.get("xanchor", "auto")
    anchor = "center" if anchor == "auto" else anchor
    what = "title: " + " ".join(lines_of(title["text"]))
    if title.get("yanchor") == "bottom" and title.get("yref") == "container" and "y" in title:
        top = (1 - float(title["y"])) * frame.height - 0.9 * size
        return anchored(x, top, width, height, anchor, "top", what)
    return anchored(x, frame.margin[2] / 2, width, height, anchor, "middle", what)


def _text_boxes(trace: dict[str, Any], xs: list[float | None], ys: list[float | None],
                frame: Frame, size: float) -> list[Box]:
    """Boxes of the text a scatter trace draws on its markers."""
    texts = trace.get("text")
    if "text" not in (trace.get("mode") or "") or texts is None:
        return []
    texts = [texts] * len(xs) if isinstance(texts, str) else list(texts)
    tsize = float(trace.get("textfont", {}).get("size") or size)
    vertical = (trace.get("textposition") or "middle center").split()[0]
    boxes = []
    for x, y, text in zip(xs, ys, texts):
        if x is None or y is None or not text:
            continue
        px, py = frame.px(x, y)
        w, h = text_size(str(text), tsize)
        yanchor = {"bottom": "top", "top": "bottom"}.get(vertical, "middle")
        boxes.append(anchored(px, py + {"top": -4, "bottom": 4}.get(vertical, 0), w, h,
                              "center", yanchor, what=f"text: {text}"))
    return boxes


def figure_boxes(fig: Any, width: float = DESIGN_WIDTH) -> tuple[list[Box], list[Box], Box]:
    """Estimated ``(text boxes, loss marks, figure)`` of ``fig`` drawn ``width`` px wide.

    Text boxes: the title, every visible annotation and text drawn on markers.
    Loss marks: the markers of traces whose ``meta.kind`` is ``"lost"``.
    """
    spec = _spec(fig)
    layout = spec.get("layout", {})

    @functools.cache
    def frames(x: str, y: str) -> Frame:
        return frame_of(spec, width, x, y)

    size = float(layout.get("font", {}).get("size", 12))
    boxes = [b for b in [title_box(spec, frames("x", "y"))] if b is not None]
    boxes += [_annotation_box(a, frames, size) for a in layout.get("annotations", [])
              if a.get("text") and a.get("visible", True)]
    marks = []
    for trace in spec.get("data", []):
        x, y = trace.get("xaxis", "x"), trace.get("yaxis", "y")
        frame = frames(x, y)
        xs = [axis_value(spec, x, v, _categories(spec, x)) for v in trace.get("x") or ()]
        ys = [axis_value(spec, y, v, _categories(spec, y)) for v in trace.get("y") or ()]
        if (trace.get("meta") or {}).get("kind") == "lost":
            half = float(trace.get("marker", {}).get("size", 6)) / 2
            marks += [Box(px - half, py - half, px + half, py + half, "lost mark")
                      for px, py in (frame.px(a, b) for a, b in zip(xs, ys)
                                     if a is not None and b is not None)]
        boxes += _text_boxes(trace, xs, ys, frame, size)
    frame = frames("x", "y")
    return boxes, marks, Box(0, 0, frame.width, frame.height, "figure")


def collisions(boxes: Sequence[Box], marks: Sequence[Box] = (), figure: Box | None = None,
               slack: float = 1.0) -> list[str]:
    """Every overlap of two text boxes, of a text box and a loss mark, and every clipped box."""
    found = [f"{a.what!r} overlaps {b.what!r}" for i, a in enumerate(boxes)
             for b in boxes[i + 1:] if a.overlaps(b, slack)]
    found += [f"{a.what!r} covers a loss mark" for a in boxes for m in marks
              if a.overlaps(m, slack)]
    if figure is not None:
        found += [f"{a.what!r} is cut off by the figure's edge" for a in boxes
                  if not a.inside(figure, slack)]
    return found


def check(fig: Any, widths: Sequence[float] = (DESIGN_WIDTH,)) -> list[str]:
    """:func:`collisions` of ``fig`` drawn at each of ``widths`` px (empty: it reads well)."""
    found: list[str] = []
    for width in widths:
        found += [f"at {width:g} px: {problem}" for problem in collisions(
            *figure_boxes(fig, width))]
    return found
