"""The command line: ``tcpnb list`` and ``tcpnb run SCENARIO`` (or ``python -m tcpnb ...``).

    $ tcpnb run syn_lost --delay 0.2 --loss 0.1 --seed 3

prints the run as a text ladder in RFC 9293's notation, then one sentence
on what happened.  Bad values give a one-line error and exit status 2.  A
reader that stops early (``tcpnb list | head -3``) ends it quietly, with the
status of a Unix tool cut off by a closed pipe (141).  Plain text only:
nothing here imports plotly.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

from .sim import analysis, scenarios
from .views.knowledge import knowledge
from .views.textladder import text_ladder


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (and still exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tcpnb",
                     description="See how TCP opens and closes a connection (RFC 9293).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("list", help="list the scenarios, one line each")
    run = commands.add_parser("run", help="run a scenario and print its ladder and outcome")
    run.add_argument("scenario", help="a name from 'tcpnb list'")
    run.add_argument("--delay", type=float, help="one-way delay in seconds (default 0.1)")
    run.add_argument("--jitter", type=float, help="extra random delay, up to this many seconds")
    run.add_argument("--loss", type=float, help="probability that a segment is lost, 0 to 1")
    run.add_argument("--seed", type=int, help="fixes every random choice (default 0)")
    run.add_argument("--profile", choices=("rfc", "linux"), type=str.lower,
                     help="timers and retries of the RFCs (default) or of Linux")
    run.add_argument("--msl", type=float, help="maximum segment lifetime in seconds")
    run.add_argument("--time-wait", type=float, dest="time_wait",
                     help="length of TIME-WAIT in seconds (default 2 x MSL)")
    run.add_argument("--relative", action="store_true",
                     help="count sequence numbers from each side's ISN, like Wireshark")
    run.add_argument("--knowledge", action="store_true",
                     help="also print what each side can conclude after each segment")
    return parser


#: Exit status when the reader closed the pipe: 128 + SIGPIPE, as a shell reports for ``cat``.
CLOSED_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at exit where it cannot be caught
        return status
    except BrokenPipeError:
        # Python's advice (signal module docs): send what is left to devnull, so that the
        # flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        rows = scenarios.describe()
        width = max(len(name) for name, _ in rows)
        print("\n".join(f"{name:<{width}}  {line}" for name, line in rows))
        return 0
    settings = {key: value for key in ("delay", "jitter", "loss", "seed", "profile", "msl",
                                       "time_wait")
                if (value := getattr(args, key)) is not None}
    try:
        trace = scenarios.run(args.scenario, **settings)
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    print(text_ladder(trace, relative=args.relative))
    if args.knowledge:
        print()
        print(knowledge(trace))
    print()
    print(analysis.summary(trace))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
