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

:mod:`tcpnb.views.figuretext` reads the same boxes back from a finished figure
and lists any overlaps: the tests run it over many runs and slider settings,
and the browser test checks the same thing on the boxes Chromium really drew.

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


@functools.lru_cache(maxsize=8192)
def text_width(line: str, size: float, bold: bool = False) -> float:
    """Width in pixels of one line of text at font ``size`` (px)."""
    em = sum(_WIDTH.get(ch, _UNKNOWN) for ch in line)
    return em * size * (BOLD if bold else 1.0)


@functools.lru_cache(maxsize=8192)
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


def _fraction(value: float, ref: str, span: tuple[float, float],
              domain: tuple[float, float]) -> float:
    """Where ``value`` lies across the plotting area, as a fraction (see :meth:`Frame.px`)."""
    if ref == "paper":
        return value
    inside = value if ref.endswith("domain") else (value - span[0]) / (span[1] - span[0])
    return domain[0] + inside * (domain[1] - domain[0])


class Placer:
    """The boxes taken so far; gives each new label the first free place it can have.

    ``taken`` is the list of boxes (add to it freely).  To answer :meth:`free`
    without comparing a box with every box taken, the boxes are also filed by the
    rows of :data:`ROW` px they reach into, and a box is compared only with those
    in its own rows: the answer is the same, and a tall ladder's hundreds of
    candidate positions stay cheap.
    """

    #: Height in px of the rows the boxes are filed by.
    ROW = 48.0

    #: A box reaching into more rows than this is compared with every box instead.
    MOST_ROWS = 200

    def __init__(self, taken: Iterable[Box] = (), gap: float = 1.0) -> None:
        self.taken: list[Box] = list(taken)
        self.gap = gap
        self._rows: dict[int, list[Box]] = {}
        self._tall: list[Box] = []  # boxes compared with every box
        self._filed = 0  # taken[:_filed] are filed

    def free(self, box: Box, within: Box | None = None) -> bool:
        """Does ``box`` overlap nothing taken (and lie ``within``, if given)?"""
        if within is not None and not box.inside(within):
            return False
        for other in self.taken[self._filed:]:
            rows = self._reach(other)
            if rows is None:
                self._tall.append(other)
            for row in rows or ():
                self._rows.setdefault(row, []).append(other)
        self._filed = len(self.taken)
        rows = self._reach(box)
        if rows is None:
            return not any(box.overlaps(other, -self.gap) for other in self.taken)
        near = self._tall + [other for row in rows for other in self._rows.get(row, ())]
        return not any(box.overlaps(other, -self.gap) for other in near)

    def _reach(self, box: Box) -> range | None:
        """The rows ``box`` reaches into, grown by the gap (boxes closer than the gap
        overlap); ``None`` for a box too tall to file (or not finite)."""
        top, bottom = (box.y0 - self.gap) / self.ROW, (box.y1 + self.gap) / self.ROW
        if not (math.isfinite(top) and math.isfinite(bottom)) or bottom - top > self.MOST_ROWS:
            return None
        return range(math.floor(top), math.floor(bottom) + 1)

    def take(self, box: Box) -> Box:
        self.taken.append(box)
        return box

    def first(self, candidates: Iterable[Box], within: Box | None = None) -> Box | None:
        """The first free candidate, now taken; ``None`` if every one is in the way."""
        for box in candidates:
            if self.free(box, within):
                return self.take(box)
        return None
