"""Every `fgo ...` command in the README's and docs' code blocks parses with today's `fgo`.

A refusal added for bad input once refused a documented command (`fgo train --quest a,a,b`, the
way docs/distillation.md weighs training): this test parses, never runs, each copyable line of a
fenced or indented code block. Lines with placeholders (`<run>`, `...`, `[--opt]`, `a|b`, `$(...)`,
capitals such as `DIR` or `N`) are templates, not commands, and are skipped.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from agents.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEMPLATE = re.compile(r"<|\.\.\.|\[|\||\$\(|\(the same|[A-Z]")  # capitals: DIR, N, vision25sN
START = re.compile(r"^(?:[A-Z_]+=\S*\s+)*(?:\.venv/bin/)?fgo\s")


def _code_lines(path: Path):
    """(line number, text) of each command line in fenced or indented code, continuations joined."""
    lines, fence, i = path.read_text().split("\n"), False, 0
    while i < len(lines):
        text, no = lines[i], i + 1
        if text.lstrip().startswith("```"):
            fence, i = not fence, i + 1
            continue
        if fence or re.match(r"^ {4,}\S", text):
            while text.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text.rstrip()[:-1] + " " + lines[i].strip()
            text = re.sub(r"\s+#\s.*$", "", text.strip()).rstrip("&").strip()  # a comment, a background &
            if START.match(text):
                yield no, text
        i += 1


COMMANDS = [(f"{p.relative_to(ROOT)}:{no}", text) for p in DOCS for no, text in _code_lines(p)
            if not TEMPLATE.search(text.split("fgo", 1)[1])]


def test_the_docs_hold_commands_to_check():
    assert len(COMMANDS) > 100  # the extraction still finds the docs' commands


@pytest.mark.parametrize("where,text", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_a_documented_command_parses(where, text, capsys):
    argv = shlex.split(re.sub(r"^(?:[A-Z_]+=\S*\s+)*(?:\.venv/bin/)?fgo\s", "", text))
    try:
        build_parser().parse_args(argv)
    except SystemExit as exit_:
        if exit_.code:  # --help exits 0
            pytest.fail(f"{where}: {text!r} is refused: {capsys.readouterr().err.strip()}")
