"""The ladder's geometry and its words, placed so that no two overlap.

Theory of operation
-------------------
The ladder is laid out in pixels for a figure :data:`~tcpnb.views.labels.DESIGN_WIDTH`
wide (or the width asked for): the margins hold the title (wrapped to the
width), the lane names, the tick labels and the legend; each outer lane has a
*gutter* wide enough for its longest state name; the lanes share the rest.

Then every word is placed in order of importance, each at the first of its
candidate places that overlaps nothing placed before it (a
:class:`~tcpnb.views.labels.Placer`):

1. fixed things: the title, lane names, "… later" notes of cut gaps, loss
   marks (×), "RTO" marks, and the lanes themselves with their bands and timers;
2. state names, beside the band where the state starts (longest states first);
3. TIME-WAIT and idle-timer notes, beside their shaded span;
4. the application's calls and notices, just above their moment;
5. the flags and numbers of each arrow, on the arrow (middle first).

A word with no free place is left out of the drawing; its text stays in the
hover text, and a line under the figure says how many were left out.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from ..sim.trace import Trace
from . import labels as lay
from . import palette
from .labels import Box, Frame, Placer
from .timeline import TimeAxis, state_spans
from .titles import figure_title

BAND_PX = 10      # width of a state band
TIMER_PX = 7      # distance of the timer bar from its lane
GAP_PX = 3        # between a band and the words beside it
_STEPS = (0, 4, 8, 12, 16, 20, 24, 30, 36, 42)  # vertical nudges tried, in px
_FRACTIONS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.14, 0.86)  # along an arrow


@dataclass
class Geometry:
    """Where everything goes, in plotly's units and in pixels at the design width."""

    frame: Frame
    lanes: dict[str, float]
    outward: dict[str, float]     # -1: the lane's words go to its left; +1: right
    band: float                   # width of a state band, in x units
    timer: float                  # distance of the timer bar from its lane, in x units
    shade: float                  # how far a long timer's shaded span reaches, in x units
    gutter: float                 # px beside a lane for its words
    title: str
    header_height: float          # px of lane names between the title and the plot
    legend: list[str]
    headers: dict[str, tuple[str, float]]   # lane -> (its name, raised by so many px)
    tickvals: list[float]
    ticktext: list[str]
    fixed_width: float | None     # set when the figure must not be narrower

    def px(self, x: float, y: float) -> tuple[float, float]:
        return self.frame.px(x, y)

    def dx(self, pixels: float) -> float:
        """``pixels`` in x units."""
        return pixels / self.frame.per_x


def _crossings(trace: Trace, names: list[str]) -> list[int]:
    """How many arrows pass over the gap left of each lane (index 0: none)."""
    index = {name: k for k, name in enumerate(names)}
    crossing = [0] * (len(names) + 1)
    for t in trace.transmissions:
        if t.src in index and t.dst in index:
            low, high = sorted((index[t.src], index[t.dst]))
            for gap in range(low + 1, high + 1):
                crossing[gap] += 1
    return crossing


def _outward(names: list[str], crossing: list[int]) -> dict[str, float]:
    """Each lane's words go to the side where fewer arrows pass (the outer lanes: outside)."""
    last = len(names) - 1
    return {name: -1.0 if k == 0 and last > 0 else 1.0 if k == last else
            (-1.0 if crossing[k] < crossing[k + 1] else 1.0) for k, name in enumerate(names)}


def _gaps(names: list[str], crossing: list[int], outward: dict[str, float], gutter: float,
          label_width: float) -> list[float]:
    """The room each gap between lanes needs: for its arrows' labels, or for the words of
    the lanes that face it; and for the two lanes' names, one word a line."""
    gaps = []
    for k in range(1, len(names)):
        facing = (outward[names[k - 1]] > 0) + (outward[names[k]] < 0)
        names_need = (_name_width(names[k - 1]) + _name_width(names[k])) / 2 + 12
        arrows_need = max(label_width, 40) + 2 * max(BAND_PX, TIMER_PX + 4) + 12
        gaps.append(max(arrows_need if crossing[k] else 10 + gutter * facing, names_need))
    return gaps


def _name_width(name: str) -> float:
    """The widest word of a lane's name, in bold at the title's size."""
    return max(lay.text_width(word, palette.TITLE_SIZE, bold=True) for word in name.split())


def geometry(trace: Trace, axis: TimeAxis, title: str | None, width: int | None,
             height: int | None, legend: list[str], travel: float,
             label_width: float) -> Geometry:
    """Lay the ladder of ``trace`` out (see the module docstring); ``label_width`` is the
    widest arrow label in px (0 without labels).

    Each gap between lanes gets the room its words need (arrow labels, or the state
    names of the lanes that face it), shared out in proportion when the width is
    short of it: then more words go to the hover text.
    """
    names = list(trace.endpoints)
    last = max(len(names) - 1, 0)
    tickvals, ticktext = axis.ticks()
    tick_width = max([lay.text_width(t, palette.TICK_SIZE) for t in ticktext] + [10.0])
    left, right = tick_width + 44, 14.0
    state_names = {str(s) for n in names for _, _, s in state_spans(trace, n)}
    widest = max([lay.text_width(s, palette.LABEL_SIZE) for s in state_names] + [0.0])
    gutter = min(max(widest + BAND_PX + GAP_PX + 8, 64.0), 0.28 * (lay.DESIGN_WIDTH - left))
    crossing = _crossings(trace, names)
    outward = _outward(names, crossing)
    needed = _gaps(names, crossing, outward, gutter, label_width)
    figure_width = float(width or lay.DESIGN_WIDTH)
    plot_width = figure_width - left - right
    if last:
        spare = plot_width - 2 * gutter - sum(needed)
        widen = [k for k in range(last) if crossing[k + 1]] or list(range(last))
        gaps = ([g + (spare / len(widen) if k in widen else 0) for k, g in enumerate(needed)]
                if spare >= 0 else [g * (plot_width - 2 * gutter) / sum(needed) for g in needed])
        per_x = gaps[0]
        lanes = [sum(gaps[:k]) / per_x for k in range(last + 1)]
        xrange = (-gutter / per_x, lanes[-1] + gutter / per_x)
        room = [min([g for g in (gaps[k - 1] if k else 2 * gutter,
                                 gaps[k] if k < last else 2 * gutter)]) for k in range(last + 1)]
    else:
        per_x, lanes, xrange, room = plot_width / 2, [0.0], (-1.0, 1.0), [plot_width]
    title_text = palette.wrapped_title(title if title is not None else
                                       figure_title(trace, 10**6), figure_width)
    wrapped = [lay.wrap(name, palette.TITLE_SIZE, 0.92 * r / lay.BOLD)
               for name, r in zip(names, room)]
    widths = [max(lay.text_width(line, palette.TITLE_SIZE, bold=True)
                  for line in text.split("<br>")) for text in wrapped]
    # Neighbours too close for their names: every other name goes up a row.
    stagger = any((widths[k] + widths[k + 1]) / 2 + 6 > (lanes[k + 1] - lanes[k]) * per_x
                  for k in range(last))
    lines = max([len(text.split("<br>")) for text in wrapped] + [1])
    row = lay.text_size("<br>".join("x" * lines), palette.TITLE_SIZE)[1] + 6  # a name's box
    headers = {name: (text, row * (k % 2) if stagger else 0.0)
               for k, (name, text) in enumerate(zip(names, wrapped))}
    header_height = row * (2 if stagger else 1) + 6
    top = palette.top_margin(title_text, header_height)
    bottom = palette.bottom_margin(legend, figure_width)
    plot_height = _plot_height(trace, axis, travel, height, top + bottom)
    top_value, bottom_value = axis(axis.start), axis(axis.end)
    span = max(bottom_value - top_value, 1e-9)
    per_y = (plot_height - 38) / span
    frame = Frame(figure_width, top + plot_height + bottom, (left, right, top, bottom),
                  xrange, (bottom_value + 12 / per_y, top_value - 26 / per_y))
    tickvals, ticktext = axis.ticks(min_gap=(palette.TICK_SIZE * 1.3 + 3) / per_y)
    return Geometry(
        frame=frame, lanes=dict(zip(names, lanes)), outward=outward, band=BAND_PX / per_x,
        timer=TIMER_PX / per_x, shade=min(56.0, 0.25 * per_x) / per_x if last else 0.2,
        gutter=gutter, title=title_text, header_height=header_height, legend=legend,
        headers=headers, tickvals=tickvals, ticktext=ticktext, fixed_width=width)


def _plot_height(trace: Trace, axis: TimeAxis, travel: float, height: int | None,
                 margins: float) -> float:
    """The plotting area's height: ``height`` less the margins, else enough for two rows of
    labels in the time a segment travels, four where arrows cross (within 360 to 900 px)."""
    if height:
        return max(float(height) - margins, 120.0)
    span = max(axis(axis.end) - axis(axis.start), 1e-9)
    travel_drawn = axis(axis.start + travel) - axis(axis.start) if travel else span
    per_travel = 76 if _arrows_cross(trace) else 46
    wanted = max(40 * len(trace.transmissions) + 80,
                 per_travel * span / max(travel_drawn, 1e-9) + 40)
    return min(max(wanted, 360.0), 900.0)


def _arrows_cross(trace: Trace) -> bool:
    """Do two segments pass each other in the network (each sent before the other arrived)?"""
    moving = [t for t in trace.transmissions if t.arrived_at is not None]
    return any(a.src == b.dst and a.dst == b.src and
               (a.sent_at - b.arrived_at) * (a.arrived_at - b.sent_at) < 0  # type: ignore[operator]
               for i, a in enumerate(moving) for b in moving[i + 1:])


def _crossing(a: tuple[float, float, float, float], b: tuple[float, float, float, float]
              ) -> tuple[float, float] | None:
    """Where segments ``a`` and ``b`` cross (not at their ends), or ``None``."""
    (x1, y1, x2, y2), (x3, y3, x4, y4) = a, b
    d = (x2 - x1) * (y4 - y3) - (y2 - y1) * (x4 - x3)
    if abs(d) < 1e-9:
        return None
    t = ((x3 - x1) * (y4 - y3) - (y3 - y1) * (x4 - x3)) / d
    u = ((x3 - x1) * (y2 - y1) - (y3 - y1) * (x2 - x1)) / d
    if 0.02 < t < 0.98 and 0.02 < u < 0.98:
        return x1 + t * (x2 - x1), y1 + t * (y2 - y1)
    return None


@dataclass
class _Word:
    """One label to place: its candidate annotations, and what to do if none fits."""

    priority: int
    order: float
    candidates: list[dict[str, Any]]
    hover: tuple[float, float, str] | None = None   # where its text goes if left out
    segment: tuple[float, float, float, float] | None = None  # an arrow's ends, in px


@dataclass
class Words:
    """The ladder's words, collected while the figure is built, placed by :meth:`layout`."""

    geo: Geometry
    words: list[_Word] = field(default_factory=list)
    obstacles: list[Box] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[tuple[float, float, str]] = field(default_factory=list)
    left_out_texts: list[str] = field(default_factory=list)
    extra_height: float = 0.0

    # ---------------------------------------------------------------- gathering
    def mark(self, x: float, y: float, size: float) -> None:
        """A loss mark at ``(x, y)``: nothing may cover it."""
        px, py = self.geo.px(x, y)
        self.obstacles.append(Box(px - size / 2, py - size / 2, px + size / 2, py + size / 2,
                                  "lost mark"))

    def timeout(self, x: float, y: float) -> None:
        """"RTO" by the diamond that marks a timeout at ``(x, y)``: under it, else over it."""
        look = dict(x=x, y=y, text="RTO", showarrow=False,
                    font=dict(size=palette.LABEL_SIZE - 2, color=palette.TIMER_TEXT))
        self.words.append(_Word(1, y, [{**look, "yanchor": "top", "yshift": -6},
                                       {**look, "yanchor": "bottom", "yshift": 6}]))

    def state_names(self, name: str, spans: list[tuple[float, float, str]]) -> None:
        """Each state's name beside its band, where it starts (``spans`` in axis units)."""
        out, geo = self.geo.outward[name], self.geo
        x = geo.lanes[name] + out * (geo.band + geo.dx(GAP_PX))
        for y0, y1, state in spans:
            room = (y1 - y0) * geo.frame.per_y - palette.LABEL_SIZE * 1.2
            shifts = [s for s in _STEPS if s <= max(room, 0)]
            self.words.append(_Word(2, -(y1 - y0), [
                self._note(x, y0, state, palette.LABEL_SIZE, out, "top", shift)
                for shift in shifts]))

    def timer_note(self, name: str, x: float, y0: float, y1: float, text: str,
                   hover: str) -> None:
        """A long timer's note: inside its shaded span, else under the state's name."""
        geo = self.geo
        inward, size = -geo.outward[name], palette.LABEL_SIZE - 1
        room = max((y1 - y0) * geo.frame.per_y - lay.text_size(text, size)[1], 0)
        inside = x + inward * geo.dx(8)
        outside = geo.lanes[name] - inward * (geo.band + geo.dx(GAP_PX))
        candidates = [self._note(inside, y0, text, size, inward, "top", s, palette.TIMER_NOTE)
                      for s in _STEPS if s <= room]
        candidates += [self._note(outside, y0, text, size, -inward, "top", 18 + s,
                                  palette.TIMER_NOTE) for s in _STEPS]
        self.words.append(_Word(3, y0, candidates, (x, y0, lay.lines_of(hover)[0])))

    def note(self, name: str, y: float, items: list[tuple[str, str, bool]], where: str,
             hover: str = "") -> None:
        """Calls and notices of ``name`` at time ``y``: above the moment, else below it.

        ``items``: ``(text, colour, italic)``; each is wrapped to the lane's gutter.
        ``hover``: shown when the pointer rests on the note (which RFC 9293 call it is).
        """
        geo = self.geo
        out, size = geo.outward[name], palette.LABEL_SIZE - 1
        room = geo.gutter - BAND_PX - GAP_PX - 6
        lines = []
        for text, colour, italic in items:
            for line in lay.wrap(text, size, room).split("<br>"):
                line = f"<i>{line}</i>" if italic else line
                lines.append(f"<span style='color:{colour}'>{line}</span>")
        text = "<br>".join(lines)
        x = geo.lanes[name] + out * (geo.band + geo.dx(GAP_PX))
        candidates = [self._note(x, y, text, size, out, "bottom", -s) for s in _STEPS]
        candidates += [self._note(x, y, text, size, out, "top", 18 + s) for s in _STEPS]
        if hover:
            for candidate in candidates:
                candidate["hovertext"] = hover
        plain = " ".join(text for text, _, _ in items)
        self.words.append(_Word(4, y, candidates, (geo.lanes[name], y, f"{where}: {plain}")))

    def arrow(self, x0: float, y0: float, x1: float, y1: float, text: str, colour: str,
              lost: bool = False) -> None:
        """An arrow's label: on the arrow, else just above or below it, else (a lost one)
        past its ×, else on a short leader line from the arrow's middle."""
        height = lay.text_size(text, palette.LABEL_SIZE)[1] + 4
        look = dict(text=text, showarrow=False, bgcolor=palette.LABEL_BACKGROUND,
                    font=dict(size=palette.LABEL_SIZE, color=colour))
        at = [(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f) for f in _FRACTIONS]
        candidates = [dict(x=x, y=y, **look) for x, y in at]
        candidates += [dict(x=x, y=y, yshift=side * (height / 2 + 3), **look)
                       for x, y in at[:5] for side in (1, -1)]
        if lost:  # past the ×, as if the arrow went on
            way = "left" if x1 >= x0 else "right"
            candidates += [dict(x=x1, y=y1, xanchor=way, xshift=14 if way == "left" else -14,
                                yshift=dy, **look) for dy in (0, -12, 12)]
        centre = self.geo.px((x0 + x1) / 2 if not lost else x0 + (x1 - x0) / 0.9, 0)[0]
        for x, y in (at[0], at[3], at[4]):  # leaders from the middle, else from a third along
            toward = centre - self.geo.px(x, y)[0]  # px to the middle between the two lanes
            candidates += [dict(x=x, y=y, **{**look, "showarrow": True}, ax=ax,
                                ay=side * (height / 2 + lift), arrowhead=0, arrowwidth=1,
                                arrowcolor=palette.NOTE_TEXT, xanchor="center", yanchor="middle")
                           for lift in (12, 24, 36, 50) for side in (1, -1) for ax in (0, toward)]
        segment = (*self.geo.px(x0, y0), *self.geo.px(x1, y1))
        self.words.append(_Word(5, (y0 + y1) / 2, candidates, segment=segment))

    @staticmethod
    def _note(x: float, y: float, text: str, size: float, out: float, yanchor: str,
              shift: float, colour: str = palette.TEXT_COLOUR) -> dict[str, Any]:
        return dict(x=x, y=y, text=text, showarrow=False, yanchor=yanchor, yshift=-shift,
                    xanchor="right" if out < 0 else "left", align="right" if out < 0 else "left",
                    font=dict(size=size, color=colour))

    # ----------------------------------------------------------------- placing
    def _box(self, note: dict[str, Any]) -> Box:
        px, py = self.geo.frame.px(note["x"], note["y"], note.get("xref", "x"),
                                   note.get("yref", "y"))
        w, h = lay.text_size(note["text"], note["font"]["size"])
        if note.get("showarrow"):
            px, py = px + note.get("ax", 0), py + note.get("ay", 0)
        return lay.anchored(px, py - note.get("yshift", 0), w + 4, h + 4,
                            note.get("xanchor", "center"), note.get("yanchor", "middle"),
                            note["text"])

    def _fixed(self, cut_notes: list[dict[str, Any]]) -> Placer:
        geo, frame = self.geo, self.geo.frame
        self.fixed = [dict(x=x, y=1.0, yref="paper", yanchor="bottom",
                           yshift=geo.headers[name][1], text=f"<b>{geo.headers[name][0]}</b>",
                           showarrow=False, font=dict(size=palette.TITLE_SIZE))
                      for name, x in geo.lanes.items()]
        for note in cut_notes:  # "… later" in the middle of a cut gap
            self.words.append(_Word(1, note["y"], [note], (note["x"], note["y"], note["text"])))
        taken: list[Box] = []
        title = lay.text_size(geo.title, palette.TITLE_SIZE)
        taken.append(lay.anchored(0.01 * frame.width, 8, *title, "left", "top", "title"))
        taken += [self._box(n) for n in self.fixed]
        return Placer(taken + self.obstacles)

    def layout(self, cut_notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Place every word; return the figure's annotations."""
        placer = self._fixed(cut_notes)
        plot = self.geo.frame.plot
        self._away_from_crossings()
        placed: list[dict[str, Any]] = []
        lanes_taken = False
        for word in sorted(self.words, key=lambda w: (w.priority, w.order)):
            if word.priority > 1 and not lanes_taken:  # "RTO" and cut notes may cross a lane
                placer.taken += self._lanes()
                lanes_taken = True
            for note in word.candidates:
                if placer.free(self._box(note), plot):
                    placer.take(self._box(note))
                    placed.append(note)
                    break
            else:
                if word.hover is not None:
                    self.left_out.append(word.hover)
                self.left_out_texts.append(" ".join(lay.lines_of(word.candidates[0]["text"])))
        return self.fixed + placed + self._left_out_note()

    def _away_from_crossings(self) -> None:
        """Candidates anchored near a point where two arrows cross go last: there a label
        (or its leader) could belong to either arrow."""
        arrows = [w for w in self.words if w.segment is not None]
        crossings = [p for i, a in enumerate(arrows) for b in arrows[i + 1:]
                     if (p := _crossing(a.segment, b.segment))  # type: ignore[arg-type]
                     is not None]
        if not crossings:
            return
        frame = self.geo.frame
        crossings.sort(key=lambda p: p[1])
        heights = [cy for _, cy in crossings]

        def near(note: dict[str, Any]) -> bool:
            x, y = frame.px(note["x"], note["y"])
            level = crossings[bisect.bisect_right(heights, y - 14):
                              bisect.bisect_left(heights, y + 14)]  # abs(y - cy) < 14
            return any(abs(x - cx) < 40 and abs(y - cy) < 14 for cx, cy in level)

        for word in arrows:
            word.candidates.sort(key=near)

    def _lanes(self) -> list[Box]:
        """Each lane with its band and timer bar, top to bottom: no word may cross one."""
        plot, half = self.geo.frame.plot, max(BAND_PX, TIMER_PX + 4)
        return [Box(px - half, plot.y0, px + half, plot.y1, "lane")
                for px, _ in (self.geo.px(x, 0) for x in self.geo.lanes.values())]

    def _left_out_note(self) -> list[dict[str, Any]]:
        count = len(self.left_out_texts)
        if not count:
            return []
        self.extra_height = palette.LABEL_SIZE * lay.LINE_SPACING + 8
        words = "1 label did not" if count == 1 else f"{count} labels did not"
        return [dict(x=0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
                     yshift=-4, showarrow=False,
                     text=f"<i>{words} fit here: hover over the figure to read "
                          f"{'it' if count == 1 else 'them'}.</i>",
                     font=dict(size=palette.LABEL_SIZE - 1, color=palette.NOTE_TEXT))]

    def hover_traces(self) -> list[dict[str, Any]]:
        """Invisible markers that carry the text of words left out (where they belong)."""
        if not self.left_out:
            return []
        xs, ys, texts = zip(*self.left_out)
        return [dict(type="scatter", mode="markers", x=list(xs), y=list(ys),
                     hovertext=list(texts), hoverinfo="text", showlegend=False,
                     marker=dict(size=12, color="rgba(0,0,0,0)"), meta=dict(kind="left out"))]
