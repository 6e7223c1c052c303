"""`make mutate`'s own pieces on a toy project (seconds, no engine compile): cosmic-ray's session
read the way tests/mutation reads it, the scope and sample filter, the report's survivors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("cosmic_ray")
sys.path.insert(0, str(Path(__file__).parent))

import report  # noqa: E402
import session as sessions  # noqa: E402

EXCLUDE = ["core/ReplaceBinaryOperator_(?!(Add_Sub)$)", "core/ReplaceComparisonOperator_(?!(Gt_GtE)$)",
           "core/(?!(ReplaceBinaryOperator|ReplaceComparisonOperator|NumberReplacer))"]
BATCH = textwrap.dedent('''\
    import functools


    def reward_of(a, b):
        return a + b


    @functools.lru_cache(maxsize=7)
    def positive(x):
        return x > 0
''')


def toy(tmp_path: Path) -> tuple[Path, Path]:
    """A project whose test checks ``reward_of`` and only one value of ``positive``."""
    (tmp_path / "batch.py").write_text(BATCH)
    check = "import sys, batch; sys.exit(batch.reward_of(2, 3) != 5 or not batch.positive(5))"
    cfg = tmp_path / "cr.toml"
    command = subprocess.list2cmdline([sys.executable, "-c", check])
    cfg.write_text("\n".join([
        "[cosmic-ray]", 'module-path = ["batch.py"]', "excluded-modules = []", "timeout = 30.0",
        f"test-command = {json.dumps(command)}", "[cosmic-ray.distributor]", 'name = "local"',
        "[cosmic-ray.filters.operators-filter]", f"exclude-operators = {json.dumps(EXCLUDE)}", ""]))
    db = tmp_path / "session.sqlite"
    for args in (["cosmic_ray.cli", "init", str(cfg), str(db)],
                 ["cosmic_ray.tools.filters.operators_filter", str(db), str(cfg)]):
        subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, check=True, capture_output=True)
    return cfg, db


def test_scope_decorators_and_sample(tmp_path, monkeypatch):
    """In batch.py only reward_of is mutated, decorator lines never, and a sample keeps exactly N."""
    _, db = toy(tmp_path)
    sessions.narrow(db, tmp_path, sample=None, seed=0)
    s = report.summarise(db, known=[])
    reasons = " ".join(s.skipped)
    assert "outside the rules' scope" in reasons and "Filtered operator" in s.skipped
    assert sessions.progress(db) == (0, 1)  # the only mutant left: reward_of's + into -

    again = tmp_path / "again"
    again.mkdir()
    _, db = toy(again)
    monkeypatch.setitem(sessions.SCOPE, "batch.py", {"reward_of", "positive"})
    sessions.narrow(db, again, sample=2, seed=1)
    s = report.summarise(db, known=[])
    assert "a decorator argument (numba's compile settings, not a rule)" in s.skipped  # maxsize=7
    assert s.skipped[sessions.NOT_SAMPLED] >= 1 and sessions.progress(db)[1] == 2


def ran_toy(tmp_path: Path, monkeypatch) -> Path:
    """The toy project's session after a real ``cosmic-ray exec`` of both its functions' mutants."""
    cfg, db = toy(tmp_path)
    monkeypatch.setitem(sessions.SCOPE, "batch.py", {"reward_of", "positive"})
    sessions.narrow(db, tmp_path, sample=None, seed=0)
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "exec", str(cfg), str(db)], cwd=tmp_path, check=True,
                   capture_output=True)
    return db


def test_report_counts_kills_survivors_and_equivalents(tmp_path, monkeypatch):
    """A real cosmic-ray run: + into - is killed, x > 0 into x >= 0 survives, and an entry of
    equivalent.toml's form explains a survivor."""
    db = ran_toy(tmp_path, monkeypatch)
    assert (tmp_path / "batch.py").read_text() == BATCH  # every mutant was undone
    s = report.summarise(db, known=[])
    assert s.killed >= 1 and s.pending == 0
    survivor = next(x for x in s.survivors if "GtE" in x.operator)
    assert report.changed_lines(survivor.diff) == ("return x > 0", "return x >= 0")
    known = [{"file": "batch.py", "function": "positive", "before": "return x > 0", "after": "return x >= 0",
              "why": "the tests only ask about 5"}]
    explained = report.summarise(db, known=known)
    assert explained.equivalent == 1 and explained.score > s.score
    md = report.markdown(explained, "toy")
    assert "Equivalent: the tests only ask about 5" in md and "| killed (a test failed) |" in md


def test_sample_interval_narrows_to_the_score_when_the_sample_is_everything():
    """The Wilson interval of a sampled score holds the score, and shrinks to it for a full run."""
    s = report.Summary(run=200, killed=180)
    lo, hi = s.interval(population=1200)
    assert s.score == 0.9 and lo < 0.9 < hi and hi - lo < 0.1
    assert s.interval(population=200) == (0.9, 0.9)


def test_rerun_reopens_only_the_named_survivors(tmp_path, monkeypatch):
    """--rerun-survivors makes the unexplained survivors pending again and keeps every kill."""
    db = ran_toy(tmp_path, monkeypatch)
    before = report.summarise(db, known=[])
    survivor = before.survivors[0]
    assert sessions.reopen(db, [survivor.job_id]) == 1
    after = report.summarise(db, known=[])
    assert after.pending == 1 and after.killed == before.killed and len(after.survivors) == len(before.survivors) - 1
