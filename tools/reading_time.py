"""Print each course notebook's reading time: the main path, and the optional deep dives apart.

Reading time = markdown words / 200 a minute, plus a fixed allowance for each figure (a ladder,
a text ladder, printed output or a fenced RFC figure: 20 s), each control panel (45 s) and each
self-check (30 s). A deep dive runs from a markdown heading containing "Deep dive" to the next
heading of the same or a higher level. Generated cells (badges, links, setup) and exercise
solutions (folded until the learner asks) are not counted.

    python tools/reading_time.py [NOTEBOOK ...]     # default: every notebooks/NN_name.ipynb
"""

import json
import re
import sys
from pathlib import Path
from typing import Any

WORDS_PER_MINUTE = 200
FIGURE_S, PANEL_S, SELF_CHECK_S = 20, 45, 30
SOLUTION_TAGS = {"solution", "exercise-solution"}
HEADING = re.compile(r"^(#{1,6})\s")
PANEL = re.compile(r"widgets\.\w+\(")
SELF_CHECK = re.compile(r"^checks\[", re.MULTILINE)
FIGURE = re.compile(r"\b(ladder|show_text|print|display|timeline|state_diagram)\(")
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def code_seconds(source: str) -> int:
    """The allowance for one code cell: a panel, a self-check, a figure, or nothing to read."""
    if PANEL.search(source):
        return PANEL_S
    if SELF_CHECK.search(source):
        return SELF_CHECK_S
    return FIGURE_S if FIGURE.search(source) else 0


def reading_minutes(notebook: dict[str, Any]) -> tuple[float, float]:
    """(main path, deep dives) reading time of a notebook, in minutes."""
    seconds = [0.0, 0.0]  # index 1 while inside a deep dive
    deep_level = 0  # the heading level of the open deep dive; 0 outside one
    for cell in notebook["cells"]:
        metadata = cell.get("metadata", {})
        if "generated" in metadata.get("tcpnb", {}) or SOLUTION_TAGS & set(metadata.get("tags", [])):
            continue
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            seconds[deep_level > 0] += code_seconds(source)
            continue
        in_fence = False
        for line in source.splitlines():
            if line.startswith("```"):
                in_fence = not in_fence
                seconds[deep_level > 0] += FIGURE_S if in_fence else 0
                continue
            heading = None if in_fence else HEADING.match(line)
            if heading:
                level = len(heading.group(1))
                if deep_level and level <= deep_level:
                    deep_level = 0
                if "Deep dive" in line and not deep_level:  # a nested one stays in the outer
                    deep_level = level
            if not in_fence:
                seconds[deep_level > 0] += len(line.split()) * 60 / WORDS_PER_MINUTE
    return seconds[0] / 60, seconds[1] / 60


def main(paths: list[str]) -> None:
    """Print one line per notebook: main path and deep dives, in minutes."""
    notebooks = [Path(p) for p in paths] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(f"{'notebook':<24} {'main path':>10} {'deep dives':>11}")
    for path in notebooks:
        main_path, deep = reading_minutes(json.loads(path.read_text(encoding="utf-8")))
        print(f"{path.stem:<24} {main_path:>8.1f} m {deep:>9.1f} m")


if __name__ == "__main__":
    main(sys.argv[1:])
