"""tools/reading_time.py: words and allowances land on the main path or in the deep dive."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import reading_time  # noqa: E402


def cell(kind: str, source: str, **metadata: object) -> dict[str, object]:
    return {"cell_type": kind, "source": source, "metadata": metadata}


def test_deep_dive_ends_at_a_heading_of_the_same_or_higher_level() -> None:
    def words(n: int) -> str:
        return " ".join(["word"] * n)

    notebook = {"cells": [
        cell("markdown", "[badge]", tcpnb={"generated": "nav-top"}),  # not counted
        cell("markdown", f"# Title\n{words(198)}"),                   # 200 words, main
        cell("code", "ladder(run)"),                                  # figure, main
        cell("markdown", f"## Deep dive (optional): more\n{words(393)}\n### Inside"),  # 400, deep
        cell("code", "checks['x']"),                                  # self-check, deep
        cell("code", "widgets.explore('close')"),                     # panel, deep
        cell("markdown", words(1000), tags=["solution"]),             # not counted
        cell("markdown", f"{words(100)}\n## Back on the main path\n{words(194)}"),  # 100 deep, 200 main
        cell("markdown", "```\nA --> B\n```"),                        # fenced figure, main
    ]}
    main_path, deep = reading_time.reading_minutes(notebook)
    assert main_path == pytest.approx(400 / 200 + (20 + 20) / 60)
    assert deep == pytest.approx(500 / 200 + (30 + 45) / 60)


def test_every_course_notebook_has_a_main_path(capsys: pytest.CaptureFixture[str]) -> None:
    reading_time.main([])
    lines = capsys.readouterr().out.splitlines()[1:]
    assert len(lines) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    assert all(float(line.split()[1]) > 0 for line in lines)


def test_every_main_path_reads_in_under_20_minutes() -> None:
    """Issue 15: heavy material goes into marked deep dives, so each main path stays under 20 minutes."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        main_path, _ = reading_time.reading_minutes(json.loads(path.read_text(encoding="utf-8")))
        assert main_path < 20, (f"{path.name}: main path {main_path:.1f} min; move side topics "
                                "into a marked deep dive (notebooks/CONVENTIONS.md)")
