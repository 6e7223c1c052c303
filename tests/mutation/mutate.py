"""`make mutate`: mutation testing of the engine's rules with cosmic-ray.

    python tests/mutation/mutate.py [--workers 2] [--sample N] [--seed 0] [--fresh]

Mutates ``fgo_env/engine/rules.py``, ``formulas.py`` and the reward code (``reward_of``,
``fgo_env/rewards.py``) one change at a time, runs the engine and env tests against each mutant
(`run_tests.py`: a fresh numba compile per mutant) in ``--workers`` copies of the project, and
writes ``reports/mutation/report.md`` and ``report.json``: killed, survived (with each survivor's
diff, and the reason when it is a known equivalent, ``equivalent.toml``), timed out.

The session (``reports/mutation/session.sqlite``) keeps every result: Ctrl-C or a kill loses at
most the mutants in flight, and running the command again resumes. A session made from other
sources (engine or tests changed since) is refused; ``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

try:
    import cosmic_ray  # noqa: F401
except ImportError:
    sys.exit("mutate: error: cosmic-ray is not installed; run `make mutate` (its venv has it) or "
             "`pip install -c constraints.txt -e '.[dev]'`")

import report  # noqa: E402
import session as sessions  # noqa: E402
from tqdm import tqdm  # noqa: E402

CONFIG = HERE / "cosmic-ray.toml"
MUTATED = tuple(tomllib.loads(CONFIG.read_text())["cosmic-ray"]["module-path"])
TESTED = ("fgo_env", "tests")  # a change here makes the old results stale


class Stop(Exception):
    """SIGTERM, handled like Ctrl-C: results so far are kept."""


def raise_stop(*_) -> None:
    raise Stop()


def project_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files that exist (what a worker copies)."""
    out = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, check=True).stdout.decode()
    return sorted({f for f in out.split("\0") if f and (ROOT / f).is_file()})


def fingerprint(files: list[str], only: tuple[str, ...]) -> str:
    """Hash of the files under ``only`` (the report's list of equivalents is not an input)."""
    h = hashlib.sha1()
    for f in files:
        if f.startswith(only) and not f.startswith("tests/mutation/equivalent"):
            h.update(f.encode() + b"\0" + (ROOT / f).read_bytes())
    return h.hexdigest()[:16]


def copy_project(files: list[str], dest: Path) -> Path:
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest / f)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a cosmic-ray worker exited at start (code {proc.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("localhost", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"a cosmic-ray worker did not listen on port {port} within {seconds:.0f} s")


def write_config(dest: Path, ports: list[int], timeout: float) -> Path:
    """The project's config with this run's interpreter, timeout and worker URLs."""
    text = CONFIG.read_text()
    cfg = tomllib.loads(text)["cosmic-ray"]
    lines = ["[cosmic-ray]",
             "module-path = " + json.dumps(cfg["module-path"]),
             "excluded-modules = []",
             f"timeout = {timeout:.0f}.0",
             f"test-command = {json.dumps(f'{sys.executable} tests/mutation/run_tests.py')}",
             "", "[cosmic-ray.distributor]", 'name = "http"',
             "", "[cosmic-ray.distributor.http]",
             "worker-urls = " + json.dumps([f"http://localhost:{p}" for p in ports]),
             "", "[cosmic-ray.filters.operators-filter]",
             "exclude-operators = " + json.dumps(cfg["filters"]["operators-filter"]["exclude-operators"]), ""]
    path = dest / "cosmic-ray.toml"
    path.write_text("\n".join(lines))
    return path


def cosmic(*args: str, cwd: Path = ROOT) -> None:
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", *args], cwd=cwd, check=True)


def baseline(worker: Path) -> float:
    """Seconds of the tests on the unmutated copy; they must pass, or every mutant looks killed."""
    t0 = time.perf_counter()
    rc = subprocess.run([sys.executable, "tests/mutation/run_tests.py"], cwd=worker,
                        stdout=subprocess.DEVNULL).returncode
    if rc != 0:
        raise SystemExit(f"mutate: error: the mutation tests fail without any mutant (exit {rc}); "
                         f"run `python tests/mutation/run_tests.py` to see why, and fix them first")
    return time.perf_counter() - t0


def start_workers(copies: list[Path], ports: list[int]) -> list[subprocess.Popen]:
    procs = []
    for copy, port in zip(copies, ports):
        env = {**os.environ, "PYTHONPATH": str(copy)}
        procs.append(subprocess.Popen([sys.executable, "-m", "cosmic_ray.cli", "http-worker", "--port", str(port)],
                                      cwd=copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
    for proc, port in zip(procs, ports):
        wait_for_port(port, proc)
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)


def execute(cfg: Path, db: Path, procs: list[subprocess.Popen]) -> None:
    """``cosmic-ray exec`` with a progress bar read from the session."""
    done, total = sessions.progress(db)
    runner = subprocess.Popen([sys.executable, "-m", "cosmic_ray.cli", "exec", str(cfg), str(db)], cwd=ROOT,
                              start_new_session=True)
    procs.append(runner)
    with tqdm(total=total, initial=done, desc="mutants", unit="mutant") as bar:
        while runner.poll() is None:
            time.sleep(2)
            now, _ = sessions.progress(db)
            bar.update(now - bar.n)
    if runner.returncode != 0:
        raise SystemExit(f"mutate: error: cosmic-ray exec failed (exit {runner.returncode})")


def header(meta: dict) -> str:
    per = meta["seconds"] * meta["workers"] / max(meta["run"], 1)
    sample = f"a seeded sample of {meta['sample']} (seed {meta['seed']})" if meta["sample"] else "every mutant"
    return (f"`{meta['command']}`: {sample} of `{'`, `'.join(meta['modules'])}` (in `batch.py` only `reward_of`), "
            f"{meta['workers']} workers on {meta['machine']}, started {meta['started']}. "
            f"Wall time {meta['seconds'] / 60:.0f} min for {meta['run']} mutants run "
            f"({per:.1f} s per mutant per worker); the clean test run took {meta['baseline']:.0f} s."
            + (f" Survivors re-run against new tests on {', '.join(meta['reruns'])}." if meta.get("reruns") else ""))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mutate", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel copies (default: one per core)")
    p.add_argument("--sample", type=int, default=None, help="run only N random mutants (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample")
    p.add_argument("--out", type=Path, default=ROOT / "reports" / "mutation", help="session and report folder")
    p.add_argument("--fresh", action="store_true", help="discard an earlier session and start over")
    p.add_argument("--rerun-survivors", action="store_true",
                   help="after adding tests: run the survivors of the session again (the mutated files must "
                        "be unchanged)")
    p.add_argument("--report", action="store_true", help="only rewrite the report from the session")
    a = p.parse_args(argv)
    if a.workers < 1 or (a.sample is not None and a.sample < 1):
        p.error("--workers and --sample must be at least 1")
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    db, meta_path = args.out / "session.sqlite", args.out / "session.json"
    files = project_files()
    if args.report:
        if not (meta_path.exists() and db.exists()):
            sys.exit(f"mutate: error: no session in {args.out}; run without --report first")
        meta = json.loads(meta_path.read_text())
        s = report.write(db, args.out, header(meta))
        print(f"score {s.score:.1%}; report in {args.out / 'report.md'}")
        return 0
    if args.fresh:
        db.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
    # a checkout has the committed report and session.json but not the session itself: start afresh
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and db.exists() else None
    if meta and args.rerun_survivors:
        if meta["mutated"] != fingerprint(files, MUTATED):
            sys.exit(f"mutate: error: {', '.join(MUTATED)} changed since {db} was made, so its mutants no "
                     "longer apply; run with --fresh")
        meta["fingerprint"] = fingerprint(files, TESTED)
        meta["reruns"] = meta.get("reruns", []) + [time.strftime("%Y-%m-%d %H:%M")]
        gaps = [x.job_id for x in report.summarise(db).survivors if not x.equivalent]
        print(f"{sessions.reopen(db, gaps)} survivors (the known equivalents left out) to run again against the "
              "current tests")
    elif meta and meta["fingerprint"] != fingerprint(files, TESTED):
        sys.exit(f"mutate: error: {db} was made from other sources (the engine or the tests changed since); "
                 "run with --fresh to start over, or --rerun-survivors after adding tests")
    elif args.rerun_survivors:
        sys.exit(f"mutate: error: no session in {args.out} to re-run; run without --rerun-survivors first")
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, raise_stop)
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        copies = [copy_project(files, Path(tmp) / f"worker{i}") for i in range(args.workers)]
        ports = [free_port() for _ in copies]
        if meta is None:
            print("checking that the tests pass without a mutant ...", flush=True)
            clean = baseline(copies[0])
            cfg = write_config(args.out, ports, max(300.0, 4 * clean))
            cosmic("init", str(cfg), str(db))
            subprocess.run([sys.executable, "-m", "cosmic_ray.tools.filters.operators_filter", str(db), str(cfg)],
                           cwd=ROOT, check=True)
            sessions.narrow(db, ROOT, args.sample, args.seed)
            meta = {"fingerprint": fingerprint(files, TESTED), "mutated": fingerprint(files, MUTATED), "sample": args.sample, "seed": args.seed,
                    "baseline": clean, "seconds": 0.0, "workers": args.workers, "run": 0,
                    "modules": tomllib.loads(CONFIG.read_text())["cosmic-ray"]["module-path"],
                    "command": "make mutate" + (f" MUTATE_ARGS='--sample {args.sample}'" if args.sample else ""),
                    "machine": f"{os.cpu_count()} cores ({platform.machine()})",
                    "started": time.strftime("%Y-%m-%d %H:%M")}
        else:
            cfg = write_config(args.out, ports, max(300.0, 4 * meta["baseline"]))
        t0 = time.monotonic()
        status = 0
        try:
            procs = start_workers(copies, ports)
            execute(cfg, db, procs)
        except (KeyboardInterrupt, Stop):
            status = 130
        finally:
            stop(procs)
            meta["seconds"] += time.monotonic() - t0
            meta["run"] = sessions.progress(db)[0]
            meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    s = report.write(db, args.out, header(meta))
    left = s.pending
    print(f"{s.run} mutants run: {s.killed + s.timed_out} killed, {len(s.survivors)} survived "
          f"({s.equivalent} known equivalent); score {s.score:.1%}; report in {args.out / 'report.md'}"
          + (f"; interrupted with {left} to go: run again to resume" if left else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
