"""Read the course's data files: the TOML files of questions and exercises beside the notebooks.

The course text of the self-checks lives in ``notebooks/questions/NN_name.toml``,
one file per notebook, under the course licence (``LICENSE-COURSE.md``); the
format is described in ``notebooks/questions/README.md``.  A notebook names its
file by a path relative to its own folder, which is the kernel's working folder
in JupyterLab, nbval, the offline build and JupyterLite.  On Colab only the
notebook is opened, so a missing file is fetched once from the same repository
and branch the notebook came from.

Text may run over several lines (TOML's triple-quoted strings); each line break and
run of spaces reads as one space.  Every entry is checked strictly: an unknown key (a typo such as ``corect``), a
missing one or a value of the wrong type is a :class:`~tcpnb.core.errors.UsageError`
that names the file, the entry and the key.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..core.errors import UsageError

BRANCH = "main"  # the branch the notebooks' Colab badges open (tools/sync_notebooks.py)
MISCONCEPTION = re.compile(r"M\d{1,2}")


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``[id]`` table of a data file, with where it came from (for error messages)."""

    id: str
    fields: Mapping[str, Any]
    path: str
    label: str = ""  # how messages name it, if not [id]: "the 2nd [[q.choices]]"

    def where(self, key: str = "") -> str:
        return f"{self.path}, {self.label or f'[{self.id}]'}" + (f", {key}" if key else "")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """The value of ``key`` if it is of type ``kind`` (``default`` if absent and not None)."""
        if key not in self.fields:
            if default is None:
                raise UsageError(f"{self.where()}: missing key {key!r}")
            return default
        value = self.fields[key]
        if isinstance(value, bool) and kind is not bool:
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise UsageError(f"{self.where(key)}: must be {_article(names)}, got {value!r}")
        if isinstance(value, str):  # prose may run over several lines: one space for each break
            value = " ".join(value.split())
            if not value:
                raise UsageError(f"{self.where(key)}: must not be empty")
        return value

    def tables(self, key: str) -> list[Entry]:
        """The array of tables under ``key`` (``[[id.key]]``), each as an :class:`Entry`."""
        items = self.get(key, list)
        if not items or not all(isinstance(item, dict) for item in items):
            raise UsageError(f"{self.where(key)}: must be one or more [[{self.id}.{key}]] tables")
        return [Entry(self.id, item, self.path, f"[[{self.id}.{key}]] number {n}")
                for n, item in enumerate(items, 1)]

    def only(self, *allowed: str) -> None:
        """Fail on any key not in ``allowed``: a typo must not be silently ignored."""
        unknown = sorted(set(self.fields) - set(allowed))
        if unknown:
            raise UsageError(f"{self.where()}: unknown key {unknown[0]!r}; allowed: "
                             + ", ".join(allowed))

    def misconceptions(self, key: str) -> tuple[str, ...]:
        """A list of misconception codes (``M1`` ... of the team's list), possibly empty."""
        codes = self.get(key, list, [])
        for code in codes:
            if not isinstance(code, str) or not MISCONCEPTION.fullmatch(code):
                raise UsageError(f"{self.where(key)}: misconception codes look like 'M6', "
                                 f"got {code!r}")
        return tuple(codes)


def _article(noun: str) -> str:
    return {"str": "a text", "bool": "true or false", "list": "a list", "dict": "a table"}.get(
        noun, "a number" if "int" in noun or "float" in noun else noun)


def read(path: str | Path) -> list[Entry]:
    """The entries of the data file at ``path`` (relative to the working folder), in file order."""
    file = Path(path)
    if not file.is_file():
        _fetch_on_colab(file)
    if not file.is_file():
        raise UsageError(f"no course file {str(path)!r} in {Path.cwd()}: a notebook names its "
                         "questions relative to its own folder, e.g. 'questions/00_why_handshake"
                         ".toml'; run it from notebooks/")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML: {error}") from None
    entries = []
    for key, value in data.items():
        if not isinstance(value, dict):
            raise UsageError(f"{path}: {key!r} must be a table, [{key}], with the entry's keys "
                             "under it")
        entries.append(Entry(key, value, str(path)))
    return entries


def _fetch_on_colab(file: Path) -> None:
    """On Colab, copy ``file`` from the repository the notebook came from (nothing elsewhere).

    Colab opens a single notebook from GitHub; the installed tcpnb's metadata
    names the repository, and the notebooks' badges open its ``main`` branch.
    """
    if "google.colab" not in sys.modules or file.is_absolute() or ".." in file.parts:
        return
    import urllib.request

    urls = [url.split(",", 1)[1].strip() for url in metadata.metadata("tcpnb").get_all(
        "Project-URL") or [] if url.lower().startswith("repository,")]
    if not urls or not urls[0].startswith("https://github.com/"):
        return
    raw = urls[0].replace("https://github.com/", "https://raw.githubusercontent.com/")
    with urllib.request.urlopen(f"{raw}/{BRANCH}/notebooks/{file.as_posix()}", timeout=30) as r:
        text = r.read()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(text)
