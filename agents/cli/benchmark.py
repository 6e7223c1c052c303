"""``fgo benchmark``: the multi-task and transfer benchmark (docs/benchmark.md).

    fgo benchmark transfer --size quick                 # AI-ON transfer: pre-trained vs scratch
    fgo benchmark multitask --size quick                # one agent on all tasks: the score vector
    fgo benchmark features --size quick                 # what the shared layers hold (t-SNE, probes, CKA)
    fgo benchmark norms --size full                     # the per-task normalisation (measures what is missing)
    fgo benchmark norms --all --fresh --ship            # re-measure every task, rewrite the shipped norms
    fgo benchmark tasks                                 # list the task families and tasks
    fgo benchmark transfer --size full --backend ray --address auto   # on a Ray cluster

Reports go to ``--out`` (default reports/benchmark). The trainings' results are written to
``OUT/runs/<size>/`` as each ends, so running the same command again resumes where an
interrupted one stopped (Ctrl-C or a kill loses only the trainings in progress). Exit status
0, 2 for a bad argument, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys

from .common import csv_list, int_in

WHAT = ("transfer", "multitask", "features", "norms", "tasks")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=WHAT, help="the measure to run, or 'norms' / 'tasks'")
    parser.add_argument("--size", default="quick", help="the definition's size: quick, medium or full (default %(default)s)")
    parser.add_argument("--definition", default=None, metavar="TOML",
                        help="a benchmark definition file (default: the shipped agents/benchmark/benchmark_v1.toml)")
    parser.add_argument("--out", default="reports/benchmark", metavar="DIR", help="report folder (default %(default)s)")
    parser.add_argument("--backend", default="local", choices=("local", "ray"),
                        help="local: processes on this machine; ray: one Ray task per training (default %(default)s)")
    parser.add_argument("--address", default=None,
                        help="--backend ray: a running cluster's address ('auto' or host:port; default: start a "
                             "local Ray instance)")
    parser.add_argument("--workers", type=int_in(1, 4096, what="--workers"), default=2,
                        help="trainings at once (local processes, or the local Ray instance's CPUs) (default 2)")
    parser.add_argument("--archs", type=csv_list, default=None,
                        help="comma-separated subset of the size's architectures")
    parser.add_argument("--frozen", action="store_true",
                        help="transfer: also run the frozen-shared-layers condition beside fine-tuning")
    parser.add_argument("--no-procgen", action="store_true", help="multitask: skip the train/test gap runs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    norms = parser.add_argument_group("norms")
    norms.add_argument("--tasks", type=csv_list, default=None,
                       help="norms: comma-separated task names (default: the --size's tasks)")
    norms.add_argument("--all", action="store_true", help="norms: every named task (families and catalogue)")
    norms.add_argument("--fresh", action="store_true", help="norms: measure even when a cache has the norm")
    norms.add_argument("--ship", action="store_true",
                       help="norms: also write them into agents/benchmark/norms_v1.json (maintainers)")


# Options that only some measures read: given to another, they were silently ignored.
ONLY_FOR = {"frozen": ("transfer",), "no_procgen": ("multitask",),
            "archs": ("transfer", "multitask", "features"),
            "tasks": ("norms",), "all": ("norms",), "fresh": ("norms",), "ship": ("norms",)}


def _check_options(args: argparse.Namespace) -> None:
    from ..errors import UserError

    for dest, whats in ONLY_FOR.items():
        if getattr(args, dest) not in (None, False) and args.what not in whats:
            option = "--" + dest.replace("_", "-")
            raise UserError(f"{option} is for fgo benchmark {' or '.join(whats)}, not {args.what}")
    if args.tasks and args.all:
        raise UserError("--tasks and --all: give one (--all measures every named task)")


def _user_errors(fn, *args, **kwargs):
    """Library ValueErrors from the definition, tasks or names are the user's: one line."""
    from ..errors import UserError

    try:
        return fn(*args, **kwargs)
    except UserError:
        raise
    except ValueError as err:
        raise UserError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    from agents.benchmark import experiment

    from .common import check_writable_dir

    if args.address and args.backend != "ray":
        from ..errors import UserError

        raise UserError("--address is for --backend ray")
    _check_options(args)
    progress = not args.no_progress
    if args.what == "tasks":
        return _list_tasks(args)
    if args.what == "norms":
        return _norms(args, progress)
    check_writable_dir(args.out)
    common = dict(definition=args.definition, backend=args.backend, workers=args.workers, address=args.address,
                  archs=args.archs, progress=progress, argv=["benchmark", *sys.argv[2:]])
    if args.what == "transfer":
        conditions = ("finetune", "frozen") if args.frozen else ("finetune",)
        res = _user_errors(experiment.run_transfer, args.size, args.out, conditions=conditions, **common)
        _print_transfer(res)
    elif args.what == "multitask":
        res = _user_errors(experiment.run_multitask, args.size, args.out, procgen=not args.no_procgen, **common)
        _print_multitask(res)
    else:
        from agents.benchmark.analysis import run_features

        if args.backend != "local":
            from ..errors import UserError

            raise UserError("fgo benchmark features trains its networks in this process: --backend is for "
                            "transfer and multitask")
        common.pop("backend"), common.pop("workers"), common.pop("address")
        res = _user_errors(run_features, args.size, args.out, **common)
        print(res.get("summary", ""))
    for path in res["paths"].values():
        print(f"wrote {path}")
    print(f"{res.get('runs', 0)} trainings, {res['wall_time']:.0f} s")
    if res.get("failed"):
        print(f"fgo: error: {res['failed']} (the report covers the runs that finished; tracebacks in "
              f"{args.out}/runs/{args.size}/errors/; the same command retries the failed runs)", file=sys.stderr)
        return 1
    return 0


def _list_tasks(args) -> int:
    from agents.benchmark.tasks import all_tasks

    tasks = _user_errors(all_tasks)
    for name, task in tasks.items():
        params = ", ".join(f"{k}={v}" for k, v in task.params)
        print(f"{name:40s} {task.family:12s} {params}")
    return 0


def _norms(args, progress: bool) -> int:
    import time

    from agents.benchmark.norms import measure_all, write_shipped

    t0 = time.perf_counter()
    norms = _user_errors(measure_all, _norm_names(args), args.workers, fresh=args.fresh, progress=progress)
    print(f"{'task':40s} {'random':>8s} {'search':>8s} {'spread':>7s}")
    for name, n in norms.items():
        print(f"{name:40s} {n.random:8.3f} {n.search:8.3f} {n.spread:7.3f}")
    if args.ship:
        print(f"wrote {write_shipped(norms)}")
    print(f"{len(norms)} tasks, {time.perf_counter() - t0:.0f} s")
    return 0


def _norm_names(args) -> list[str]:
    if args.tasks:
        return list(args.tasks)
    if args.all:
        from agents.benchmark.tasks import all_tasks

        return list(all_tasks())
    from agents.benchmark.definition import load_definition

    return list(_user_errors(lambda: load_definition(args.definition).size(args.size)).tasks)


def _print_transfer(res: dict) -> None:
    from agents.experiments.report import _fmt

    for (arch, kind, cond), t in res["tables"].items():
        m = t["metrics"]
        if m:
            print(f"{arch:10s} {kind:6s} {cond:8s} jumpstart {_fmt(m['jumpstart'], 2)}  area {_fmt(m['area'], 3)}  "
                  f"AI-ON ratio {_fmt(m['aion_ratio'], 2)}")


def _print_multitask(res: dict) -> None:
    from agents.experiments.report import _fmt

    for arch, t in res["table"].items():
        print(f"{arch:10s} IQM {_fmt(t['iqm'], 2)}")
    for key, v in res["procgen"].items():
        print(f"procgen {key}: train {_fmt(v['train'], 3)} test {_fmt(v['test'], 3)} gap {_fmt(v['gap'], 3)}")
