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
from typing import Any

from ..core.states import TCP_TABLE, State

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

#: Colours of the two endpoints' paths (Okabe-Ito blue and vermillion).
ENDPOINT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")

#: How each kind of transmission is drawn: colour and dash.
SEGMENT_STYLES: dict[str, dict[str, str]] = {
    "original": {"color": "#222222", "dash": "solid"},
    "retransmission": {"color": "#D55E00", "dash": "solid"},   # vermillion
    "duplicate": {"color": "#CC79A7", "dash": "dash"},         # reddish purple
    "injected": {"color": "#E69F00", "dash": "dot"},           # orange: an old duplicate
    "in flight": {"color": "#777777", "dash": "dashdot"},
}
LOST_COLOUR = "#D55E00"
TIMER_COLOUR = "#56B4E9"       # sky blue: the retransmission timer
TIME_WAIT_COLOUR = STATE_COLOURS[State.TIME_WAIT]
TEXT_COLOUR = "#222222"

#: Font sizes in px, chosen for a projector at 1280 x 720 and still fine on a laptop.
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
FONT_SIZE = 15
TITLE_SIZE = 19
LABEL_SIZE = 13


def state_colour(state: State | str) -> str:
    """The colour of ``state`` (a :class:`State` or its RFC name)."""
    return STATE_COLOURS[state if isinstance(state, State) else State(state)]


def base_layout(title: str, height: int) -> dict[str, Any]:
    """The layout every tcpnb figure starts from."""
    return dict(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=TITLE_SIZE)),
        font=dict(family=FONT_FAMILY, size=FONT_SIZE, color=TEXT_COLOUR),
        height=height, template="simple_white", hoverlabel=dict(font=dict(size=LABEL_SIZE + 1)),
        margin=dict(l=70, r=30, t=60, b=40),
    )


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
    r, g, b = _linear(hex_colour)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05) / 0.05
