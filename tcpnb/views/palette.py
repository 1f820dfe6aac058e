"""The course's colours and fonts: one colour per state, the same in every figure.

State colours come from Paul Tol's colour-blind-safe "light" scheme, plus
three of his "muted" colours (RFC 9293 has eleven states; Tol's light scheme
has nine colours).  They are light, so black text on them stays readable,
and neighbouring states (those joined by a row of the transition table)
stay apart under simulated protanopia, deuteranopia and tritanopia:
:func:`worst_neighbours` measures it and the tests hold it.  Colour is never
the only cue: every band and box also carries the state's name.

Segment styles use the Okabe-Ito colours, with a dash pattern as a second cue.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..core.states import TCP_TABLE, State
from . import labels

#: One colour per state (hex RGB).
STATE_COLOURS: dict[State, str] = {
    State.CLOSED: "#DDDDDD",        # pale grey: no connection
    State.LISTEN: "#99DDFF",        # light cyan
    State.SYN_SENT: "#77AADD",      # light blue
    State.SYN_RECEIVED: "#BBCC33",  # pear
    State.ESTABLISHED: "#44BB99",   # mint
    State.FIN_WAIT_1: "#EE8866",    # orange
    State.FIN_WAIT_2: "#FFAABB",    # pink
    State.CLOSING: "#CC6677",       # rose (Tol muted)
    State.TIME_WAIT: "#EEDD88",     # light yellow
    State.CLOSE_WAIT: "#AAAA00",    # olive
    State.LAST_ACK: "#C8A2D8",      # lilac (Tol muted purple, lightened)
}

#: Colours of the endpoints' paths (Okabe-Ito blue, vermillion, bluish green, reddish purple),
#: and of their numbered badges, dark enough for white text.
ENDPOINT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
BADGE_COLOURS = ("#0072B2", "#A04000", "#00735A", "#9E3A7A")

#: How each kind of transmission is drawn: line colour and dash (Okabe-Ito, the dash a
#: second cue), and the colour of its label, the line's colour darkened for text.
SEGMENT_STYLES: dict[str, dict[str, str]] = {
    "original": {"color": "#222222", "dash": "solid", "text": "#222222"},
    "retransmission": {"color": "#D55E00", "dash": "solid", "text": "#A04000"},  # vermillion
    "duplicate": {"color": "#CC79A7", "dash": "dash", "text": "#9E3A7A"},   # reddish purple
    "injected": {"color": "#C27C00", "dash": "dot", "text": "#8F4A00"},     # an old duplicate
    "in flight": {"color": "#777777", "dash": "dashdot", "text": "#666666"},
}
LOST_COLOUR = "#D55E00"
TIMER_COLOUR = "#3A8FC4"       # blue: the retransmission timer
TIME_WAIT_COLOUR = STATE_COLOURS[State.TIME_WAIT]
TEXT_COLOUR = "#222222"
ON_STATE_TEXT = "#000000"      # a state's name on its colour
TIMER_TEXT = "#1f6f99"         # "RTO" under a timeout
TIMER_NOTE = "#6b5d00"         # a long timer's note, on light yellow
NOTE_TEXT = "#555555"          # notices to the user, and notes about the figure
ERROR_TEXT = "#B22222"         # an error notice ("connection refused")
LABEL_BACKGROUND = "rgba(255,255,255,0.85)"  # behind an arrow's label
FIGURE_BACKGROUND = "#ffffff"  # every figure's paper, in any theme (template simple_white)

#: Self-check feedback: text and background, both set, so it reads in light and dark themes.
FEEDBACK = {True: ("#14532d", "#dcf2e3"), False: ("#8a1c1c", "#fde4e4")}

#: JupyterLab's themes: the page's background and text (``--jp-layout-color0``,
#: ``--jp-content-font-color1``), which HTML without colours of its own takes.
THEMES = {"light": ("#ffffff", "rgba(0,0,0,0.87)"), "dark": ("#111111", "#ffffff")}


#: Font sizes in px, chosen for a projector at 1280 x 720 and still fine on a laptop.
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
FONT_SIZE = 15
TITLE_SIZE = 19
LABEL_SIZE = 13
TICK_SIZE = 14
LEGEND_SIZE = 13


def state_colour(state: State | str) -> str:
    """The colour of ``state`` (a :class:`State` or its RFC name)."""
    return STATE_COLOURS[state if isinstance(state, State) else State(state)]


TEMPLATE = "simple_white"  # one look for every figure of the course


def wrapped_title(title: str, width: float | None = None) -> str:
    """``title`` broken into lines that fit a figure ``width`` px wide (default: the
    narrowest the course lays out for, :data:`tcpnb.views.labels.DESIGN_WIDTH`)."""
    room = 0.98 * (width or labels.DESIGN_WIDTH) - 16
    return "<br>".join(labels.wrap(line, TITLE_SIZE, room) for line in title.split("<br>"))


def top_margin(title: str, above: float = 0.0) -> float:
    """Room over the plot for a (wrapped) ``title`` and ``above`` px more under it."""
    return 8 + labels.text_size(title, TITLE_SIZE)[1] + 12 + above


def bottom_margin(legend: Sequence[str], width: float | None = None, below: float = 0.0
                  ) -> float:
    """Room under the plot for ``below`` px (axis labels, notes) and a legend of ``legend``."""
    height = labels.legend_height(legend, (width or labels.DESIGN_WIDTH) - 10, LEGEND_SIZE)
    return below + height + (12 if legend else 0)  # plotly keeps 12 px over a legend


def base_layout(title: str, height: float, *, legend: Sequence[str] = (), above: float = 0.0,
                below: float = 0.0, width: float | None = None) -> dict[str, Any]:
    """The layout every tcpnb figure starts from.

    The title is wrapped to the figure's width (``width``, or the narrowest
    cell) and starts at the top; the top margin holds it and ``above`` px more.
    The legend, one row per ``legend`` name that fits, sits at the bottom; the
    bottom margin holds it and ``below`` px more (tick labels, an axis title).
    The figure fills the width of its cell unless ``width`` fixes it.
    """
    text = wrapped_title(title, width)
    layout: dict[str, Any] = dict(
        title=labels.title_layout(text, TITLE_SIZE, height),
        font=dict(family=FONT_FAMILY, size=FONT_SIZE, color=TEXT_COLOUR),
        height=height, template=TEMPLATE, hoverlabel=dict(font=dict(size=LABEL_SIZE + 1)),
        showlegend=bool(legend),
        legend=dict(orientation="h", xref="container", x=0.01, yref="container", y=0,
                    yanchor="bottom", font=dict(size=LEGEND_SIZE)),
        margin=dict(l=70, r=20, t=top_margin(text, above),
                    b=bottom_margin(legend, width, below)))
    if width:
        layout["width"] = width
    return layout


def log_axis(values: Sequence[float], title: str) -> dict[str, Any]:
    """A log axis whose ticks are round numbers written out ("0.5", "1", "2", "5", "10",
    ...: never plotly's bare "2" and "5"), from a tick at or under the smallest of
    ``values`` to one at or over the largest, so no point lies above the last tick."""
    positive = [v for v in values if v and v > 0] or [1.0]
    low, high = min(positive), max(positive)
    high = max(high, low * 2)
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    steps = (1, 2, 5) if len(decades) <= 4 else (1,)
    ticks = [m * 10.0 ** d for d in decades for m in steps]
    ticks = [t for t in ticks if t >= max(x for x in ticks if x <= low)]
    ticks = [t for t in ticks if t <= min(x for x in ticks + [10.0 ** (decades[-1] + 1)]
                                          if x >= high)]
    pad = 0.04 * (math.log10(ticks[-1]) - math.log10(ticks[0]) or 1)
    return dict(type="log", title=title, tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                range=[math.log10(ticks[0]) - pad, math.log10(ticks[-1]) + pad],
                showgrid=True, gridcolor="#eeeeee")


# ----------------------------------------------------- colour-blindness check
# Machado, Oliveira & Fernandes (2009), severity 1.0, applied in linear RGB.
_CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def _linear(hex_colour: str) -> tuple[float, ...]:
    channels = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)


def _lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in rgb)
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           0.0193 * r + 0.1192 * g + 0.9505 * b)
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
         for t in (xyz[0] / 0.9505, xyz[1], xyz[2] / 1.089)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def seen_as(hex_colour: str, vision: str = "normal") -> tuple[float, float, float]:
    """CIELAB of ``hex_colour`` as seen with ``vision`` ("normal" or a key of the CVD table)."""
    rgb = _linear(hex_colour)
    if vision != "normal":
        rgb = tuple(sum(m * c for m, c in zip(row, rgb)) for row in _CVD[vision])
    return _lab(rgb)


def difference(a: str, b: str, vision: str = "normal") -> float:
    """CIE76 colour difference of two colours as seen with ``vision`` (> ~10: easily told apart)."""
    return math.dist(seen_as(a, vision), seen_as(b, vision))


def worst_neighbours() -> tuple[float, str, State, State]:
    """The smallest difference between two states joined by a transition, over all visions."""
    pairs = {(row.source, row.target) for row in TCP_TABLE if row.source is not row.target}
    return min(((difference(STATE_COLOURS[a], STATE_COLOURS[b], vision), vision, a, b)
                for a, b in pairs for vision in ("normal", *_CVD)),
               key=lambda found: found[0])  # states do not order: compare the differences only


def contrast_with_black(hex_colour: str) -> float:
    """WCAG contrast ratio of black text on ``hex_colour`` (>= 4.5 is readable)."""
    return contrast("#000000", hex_colour)


def opaque(colour: str, over: str = FIGURE_BACKGROUND) -> str:
    """``colour`` (``#rrggbb``, ``rgb(...)``, ``rgba(...)``, white or black) as seen over
    ``over``."""
    colour = {"white": "#ffffff", "black": "#000000"}.get(colour, colour)
    if colour.startswith("#"):
        return colour.lower()
    numbers = [float(v) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")]
    alpha = numbers[3] if len(numbers) == 4 else 1.0
    base = [int(over[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = (round(alpha * c + (1 - alpha) * b) for c, b in zip(numbers[:3], base))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def luminance(colour: str) -> float:
    """WCAG relative luminance of an opaque colour."""
    r, g, b = _linear(opaque(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(text: str, background: str) -> float:
    """WCAG contrast ratio of ``text`` on ``background`` (AA: >= 4.5, large text and
    graphics >= 3); a translucent ``text`` is mixed over the background first."""
    background = opaque(background)
    lighter, darker = sorted((luminance(opaque(text, background)), luminance(background)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def feedback(text: str, correct: bool) -> str:
    """A self-check's verdict as HTML (``text`` already escaped): its colours and a
    background of their own, so that it reads the same in a light and a dark theme."""
    colour, background = FEEDBACK[correct]
    return (f"<span style='display:inline-block;color:{colour};background:{background};"
            f"padding:1px 6px;border-radius:3px'>{text}</span>")  # wrapped lines share one box
