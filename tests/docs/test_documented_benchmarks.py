"""Every `python benchmarks/X.py ...` command the README and docs give parses with today's script.

Figures in the docs come with the command that measured them; a renamed or removed option would
leave a figure nobody can re-measure. This test parses, never runs, each such command (in code
blocks or inline in backticks): the script is imported once,
its `main` called with the command's arguments and stopped as soon as argparse has parsed them.
Commands with placeholders (`<run>`, `...`, `[--opt]`, `a|b`, capitals such as `DIR` or `N`) are
templates and are skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEMPLATE = re.compile(r"<|\.\.\.|\[|\||\$\(|[A-Z]")
START = re.compile(r"^(?:[A-Z_]+=\S*\s+)*(?:\.venv/bin/)?python (benchmarks/[a-z_]+\.py)(.*)$")
INLINE = re.compile(r"`(?:[A-Z_]+=\S*\s+)*(?:\.venv/bin/)?python (benchmarks/[a-z_]+\.py)([^`]*)`")
FENCE = re.compile(r"^ *```.*?^ *```", re.S | re.M)


def _commands(path: Path):
    """(line number, script, argument text) of each benchmark command of ``path``: the lines of
    fenced or indented code (continuations joined), then the inline ones of the prose."""
    text = path.read_text()
    for block in FENCE.finditer(text):
        yield from _code(block.group(0).split("\n"), text.count("\n", 0, block.start()) + 1, indented=False)
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # fences blanked, lines kept
    yield from _code(prose.split("\n"), 1, indented=True)
    for m in INLINE.finditer(prose):
        yield prose.count("\n", 0, m.start()) + 1, m.group(1), " ".join(m.group(2).split())


def _code(lines: list[str], first: int, indented: bool):
    """The commands of ``lines`` (numbered from ``first``): every line, or only those indented
    four spaces or more (Markdown's indented code)."""
    i = 0
    while i < len(lines):
        line, no = lines[i], first + i
        if not indented or re.match(r"^ {4,}\S", line):
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i].strip()
            m = START.match(re.sub(r"\s+#\s.*$", "", line.strip()).rstrip("&").strip())
            if m:
                yield no, m.group(1), m.group(2).strip()
        i += 1


COMMANDS = [(f"{p.relative_to(ROOT)}:{no}", script, args) for p in DOCS for no, script, args in _commands(p)
            if not TEMPLATE.search(args)]


class _Parsed(Exception):
    """Raised once argparse has parsed a benchmark's arguments: nothing more runs."""


@cache
def _main(script: str):
    """The script's ``main``; None for a script without one (its work runs at import: not imported)."""
    if not re.search(r"^def main\(", (ROOT / script).read_text(), re.M):
        return None
    spec = importlib.util.spec_from_file_location(f"_bench_{Path(script).stem}", ROOT / script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return getattr(module, "main", None)


def test_the_docs_hold_benchmark_commands_to_check():
    assert len(COMMANDS) > 60 and len({s for _, s, _ in COMMANDS}) > 15


@pytest.mark.parametrize("where,script,args", COMMANDS, ids=[w for w, _, _ in COMMANDS])
def test_a_documented_benchmark_command_parses(where, script, args, monkeypatch, capsys):
    if not (ROOT / script).exists():
        pytest.fail(f"{where}: {script} does not exist")
    main = _main(script)
    if main is None:
        pytest.skip(f"{script} has no main() to parse with")
    original = argparse.ArgumentParser.parse_args

    def parse_and_stop(self, argv=None, namespace=None):
        original(self, argv, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_and_stop)
    monkeypatch.setattr(sys, "argv", [script, *shlex.split(args)])
    try:
        main()
    except _Parsed:
        return
    except SystemExit as exit_:
        if exit_.code:
            pytest.fail(f"{where}: python {script} {args} is refused: {capsys.readouterr().err.strip()}")
        return
    pytest.fail(f"{where}: {script}'s main() returned without parsing its arguments")
