"""Where text lands in a figure, in pixels: measure it, find overlaps, place labels clear of others.

Theory of operation
-------------------
Plotly draws a label exactly where it is anchored and never moves it out of
the way, so two labels anchored close together overprint each other.  This
module estimates each text box *before* plotly draws it:

* :func:`text_size` measures text with a character-width model: the widths of
  DejaVu Sans (the course's first font, and wider than Arial or Helvetica,
  which browsers fall back to) measured in Chromium, grouped into a few
  classes and rounded up, so an estimate is never narrower than the real text.
* :class:`Frame` turns a figure's data coordinates into pixels for a given
  figure width (the height is fixed; plotly stretches only the width).
* :class:`Placer` keeps the boxes already taken and hands out the first of a
  label's candidate positions that overlaps none of them.

:func:`figure_boxes` estimates every text box of a finished figure (title,
annotations, text on markers) and its loss marks (×), and :func:`collisions`
lists the overlaps: the tests run it over many runs and slider settings, and
the browser test checks the same thing on the boxes Chromium really drew.

Widening a figure only moves data-anchored labels apart (their sizes are in
pixels), so a figure laid out without overlaps at :data:`DESIGN_WIDTH` has
none at any larger width.
"""

from __future__ import annotations

import functools
import html
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

#: The narrowest figure the course lays out for: a notebook cell about 600 px wide.
DESIGN_WIDTH = 600
#: Plotly's distance between lines of text, in font sizes.
LINE_SPACING = 1.3

# Character widths in em, DejaVu Sans, each class rounded up to its widest member.
_CLASSES = {
    0.30: "'IJijl", 0.35: " ,./:;\\f|·", 0.40: "!()-[]t", 0.47: '"r', 0.53: "*?_`sz–“”",
    0.59: "FLckvxy", 0.64: "0123456789$EPSTYabdeghnopqu{}", 0.70: "ABCKRVXZ",
    0.80: "&DGHNOQU", 0.86: "#+<=>M^w~×→✓≤≥↻✗✘✔",
}
_WIDTH = {ch: width for width, chars in _CLASSES.items() for ch in chars}
_UNKNOWN = 1.0   # any other character: as wide as "W"
BOLD = 1.1       # bold DejaVu Sans is 9 % wider
_TAG = re.compile(r"<[^>]*>")


def lines_of(text: str) -> list[str]:
    """The lines of a plotly label as shown: ``<br>`` splits lines, other tags vanish."""
    return [html.unescape(_TAG.sub("", line)) for line in re.split(r"<br\s*/?>", text or "")]


def text_width(line: str, size: float, bold: bool = False) -> float:
    """Width in pixels of one line of text at font ``size`` (px)."""
    em = sum(_WIDTH.get(ch, _UNKNOWN) for ch in line)
    return em * size * (BOLD if bold else 1.0)


def text_size(text: str, size: float) -> tuple[float, float]:
    """``(width, height)`` in pixels of a plotly label (``<br>`` lines, ``<b>`` bold)."""
    lines = lines_of(text)
    bold = "<b>" in (text or "")
    width = max(text_width(line, size, bold) for line in lines)
    return width, size * (LINE_SPACING * len(lines) - 0.14)


def wrap(text: str, size: float, width: float) -> str:
    """``text`` broken with ``<br>`` at spaces so that no line is wider than ``width`` px."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(lines[-1] + " " + _TAG.sub("", word), size) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def legend_height(names: Sequence[str], width: float, size: float) -> float:
    """Height in px of plotly's horizontal legend of ``names`` in ``width`` px.

    Plotly puts the items in one row if they fit, else in columns as wide as
    their widest item: ``rows x 20 px`` plus padding.
    """
    items = [45 + text_width(name, size) for name in names]
    if not items:
        return 0.0
    columns = len(items)
    while columns > 1 and sum(max(items[c::columns]) for c in range(columns)) > width:
        columns -= 1
    rows = -(-len(items) // columns)
    return rows * (size + 7) + 10


def title_layout(text: str, size: float, height: float) -> dict[str, Any]:
    """A title whose first line's top is 8 px below the figure's top, whatever its lines.

    (Plotly grows a multi-line title downward from its first line when it is
    anchored at the bottom, and in other ways otherwise.)
    """
    return dict(text=text, x=0.01, xanchor="left", xref="container", yref="container",
                yanchor="bottom", y=1 - (8 + 0.9 * size) / height, font=dict(size=size))


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels (y grows downward) and what it holds."""

    x0: float
    y0: float
    x1: float
    y1: float
    what: str = ""

    def overlaps(self, other: Box, slack: float = 0.0) -> bool:
        """Do the two boxes share more than ``slack`` px in both directions?"""
        return (min(self.x1, other.x1) - max(self.x0, other.x0) > slack
                and min(self.y1, other.y1) - max(self.y0, other.y0) > slack)

    def inside(self, other: Box, slack: float = 0.0) -> bool:
        """Does this box lie within ``other`` (give or take ``slack`` px)?"""
        return (self.x0 >= other.x0 - slack and self.x1 <= other.x1 + slack
                and self.y0 >= other.y0 - slack and self.y1 <= other.y1 + slack)

    def grown(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by, self.what)


def anchored(x: float, y: float, width: float, height: float, xanchor: str = "center",
             yanchor: str = "middle", what: str = "") -> Box:
    """The box of a ``width`` x ``height`` label anchored at pixel ``(x, y)``."""
    left = {"left": x, "right": x - width}.get(xanchor, x - width / 2)
    top = {"top": y, "bottom": y - height}.get(yanchor, y - height / 2)
    return Box(left, top, left + width, top + height, what)


@dataclass(frozen=True)
class Frame:
    """Data coordinates to pixels, for a figure drawn ``width`` x ``height`` px.

    ``xdomain`` and ``ydomain`` are the axes' share of the plotting area (plotly's
    ``domain``), for a figure with several axes.
    """

    width: float
    height: float
    margin: tuple[float, float, float, float]   # left, right, top, bottom
    xrange: tuple[float, float]
    yrange: tuple[float, float]                 # (at the bottom, at the top)
    xdomain: tuple[float, float] = (0.0, 1.0)
    ydomain: tuple[float, float] = (0.0, 1.0)

    @property
    def plot(self) -> Box:
        """The plotting area (of every axis)."""
        left, right, top, bottom = self.margin
        return Box(left, top, self.width - right, self.height - bottom, "plot area")

    @property
    def per_x(self) -> float:
        """Pixels per x unit."""
        span = self.xdomain[1] - self.xdomain[0]
        return self.plot_width * span / (self.xrange[1] - self.xrange[0])

    @property
    def per_y(self) -> float:
        """Pixels per y unit (positive also when the axis runs downward)."""
        span = self.ydomain[1] - self.ydomain[0]
        return self.plot_height * span / abs(self.yrange[1] - self.yrange[0])

    @property
    def plot_width(self) -> float:
        return self.width - self.margin[0] - self.margin[1]

    @property
    def plot_height(self) -> float:
        return self.height - self.margin[2] - self.margin[3]

    def px(self, x: float, y: float, xref: str = "x", yref: str = "y") -> tuple[float, float]:
        """The pixel of ``(x, y)``: a data point, or with ``"paper"`` refs a fraction of the
        plotting area, with ``"domain"`` refs a fraction of this frame's axes."""
        fx = _fraction(x, xref, self.xrange, self.xdomain)
        fy = _fraction(y, yref, self.yrange, self.ydomain)
        return self.margin[0] + fx * self.plot_width, self.margin[2] + (1 - fy) * self.plot_height

    def box(self, x: float, y: float, text: str, size: float, xanchor: str = "center",
            yanchor: str = "middle", pad: float = 2.0, ref: str = "y") -> Box:
        """The box of an annotation at data ``(x, y)`` (``pad``: plotly's border and padding;
        ``ref="paper"``: ``y`` is a fraction of the plot's height)."""
        width, height = text_size(text, size)
        px, py = self.px(x, y, "x", ref)
        return anchored(px, py, width + 2 * pad, height + 2 * pad, xanchor, yanchor, text)

    @classmethod
    def of(cls, fig: Any, width: float | None = None, x: str = "x", y: str = "y") -> Frame:
        """The frame of axes ``x`` and ``y`` ("x2", "y2", ...) of a plotly figure drawn
        ``width`` px wide (a fixed ``layout.width`` wins).

        Positions are in axis units: categories count 0, 1, 2, ... and a log
        axis is in powers of ten (see :func:`axis_value`).
        """
        spec = _spec(fig)
        layout = spec.get("layout", {})
        m = {**dict(l=80, r=80, t=100, b=80), **layout.get("margin", {})}
        xd, yd = (tuple(_axis(spec, a).get("domain", (0.0, 1.0))) for a in (x, y))
        return cls(float(layout.get("width") or width or 700), float(layout.get("height") or 450),
                   (float(m["l"]), float(m["r"]), float(m["t"]), float(m["b"])),
                   _range(spec, x), _range(spec, y), (float(xd[0]), float(xd[1])),
                   (float(yd[0]), float(yd[1])))


def _fraction(value: float, ref: str, span: tuple[float, float],
              domain: tuple[float, float]) -> float:
    """Where ``value`` lies across the plotting area, as a fraction (see :meth:`Frame.px`)."""
    if ref == "paper":
        return value
    inside = value if ref.endswith("domain") else (value - span[0]) / (span[1] - span[0])
    return domain[0] + inside * (domain[1] - domain[0])


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


class Placer:
    """The boxes taken so far; gives each new label the first free place it can have."""

    def __init__(self, taken: Iterable[Box] = (), gap: float = 1.0) -> None:
        self.taken: list[Box] = list(taken)
        self.gap = gap

    def free(self, box: Box, within: Box | None = None) -> bool:
        """Does ``box`` overlap nothing taken (and lie ``within``, if given)?"""
        if within is not None and not box.inside(within):
            return False
        return not any(box.overlaps(other, -self.gap) for other in self.taken)

    def take(self, box: Box) -> Box:
        self.taken.append(box)
        return box

    def first(self, candidates: Iterable[Box], within: Box | None = None) -> Box | None:
        """The first free candidate, now taken; ``None`` if every one is in the way."""
        for box in candidates:
            if self.free(box, within):
                return self.take(box)
        return None


# ------------------------------------------------------------ a finished figure
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
        return Frame.of(spec, width, x, y)

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
