"""``fgo eval``: every agent on every quest on the same seeds; a table, plus CSV/JSON/Markdown files.

    fgo eval --agent greedy,runs/ppo_farming_3wave_s0 --quest farming_3wave --episodes 100
    fgo eval --offline games.jsonl.gz --agent greedy --rollouts 8    # on recorded episodes instead
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

from .common import add_content_argument, csv_list, default_out, int_in, warn_untrained

log = logging.getLogger("fgo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", "--agents", dest="agent", required=True, type=csv_list,
                        help="registry names or saved-agent paths, comma-separated")
    parser.add_argument("--quest", "--quests", dest="quest", default=["farming_3wave"], type=csv_list,
                        help="quest ids, comma-separated ('fgo quests'; random_<seed> for a generated quest)")
    parser.add_argument("--episodes", type=int_in(1, 1_000_000, what="--episodes"), default=50,
                        help="episodes per agent and quest (default 50)")
    parser.add_argument("--seed", type=int_in(0, 2**62, what="--seed"), default=0,
                        help="episode i uses env seed SEED + i (default 0)")
    parser.add_argument("--out", default=None,
                        help="write the table as OUT.md, OUT.csv and OUT.json (default reports/eval-<time>)")
    parser.add_argument("--replays", default=None, metavar="DIR",
                        help="keep every episode played: DIR/<agent>_<quest>.jsonl.gz (see 'fgo replay info')")
    add_content_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    offline = parser.add_argument_group("offline evaluation on recorded episodes (--offline)")
    offline.add_argument("--offline", type=csv_list, default=None, metavar="REPLAYS",
                         help="replay files or folders of them, comma-separated: how would --agent have played "
                              "these games? (agreement with the recorded decisions, counterfactual rollouts); "
                              "--quest and --episodes are not used, --seed seeds the re-draws, the random agent "
                              "and the bootstrap; --out is the report folder")
    offline.add_argument("--rollouts", type=int_in(0, 100_000, what="--rollouts"), default=8,
                         help="rollouts per recorded state, hidden randomness re-drawn (default 8; 0: agreement only)")
    offline.add_argument("--states", type=int_in(1, 10_000, what="--states"), default=4,
                         help="recorded states per episode: the starts of its first STATES turns (default 4)")
    offline.add_argument("--reps", type=int_in(100, 10_000_000, what="--reps"), default=10_000,
                         help="bootstrap replicates of the intervals (default 10000)")
    offline.add_argument("--no-plots", action="store_true", help="skip the PNG plot of the offline report")


def agent_labels(specs: list[str]) -> list[str]:
    """Row labels: a registry name as it is, a saved agent by its folder (or file) name."""
    from ..registry import names

    labels = [s if s in names() else (Path(s).name or s) for s in specs]
    return [s if labels.count(lab) > 1 else lab for s, lab in zip(specs, labels)]  # keep paths apart


def replay_files(specs: list[str]) -> list[Path]:
    """The replay files of ``--offline``: files as given, folders by their ``*.jsonl[.gz|.zst]``."""
    from ..errors import UserError

    files: list[Path] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            found = sorted(f for pattern in ("*.jsonl", "*.jsonl.gz", "*.jsonl.zst") for f in p.glob(pattern))
            if not found:
                raise UserError(f"--offline {spec}: a folder without replay files (*.jsonl, *.jsonl.gz, *.jsonl.zst)")
            files += found
        elif not p.exists():
            raise UserError(f"--offline {spec}: no such file or folder (give replay files, e.g. from 'fgo record "
                            f"--out x.jsonl.gz' or 'fgo eval --replays DIR')")
        else:
            files.append(p)
    resolved = [f.resolve() for f in files]
    twice = sorted({str(f) for f, r in zip(files, resolved) if resolved.count(r) > 1})
    if twice:  # its decisions would count twice
        raise UserError(f"--offline: {', '.join(twice)} given more than once (a folder and a file in it?); "
                        f"give each replay once")
    return files


def run_offline(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..experiments import offline
    from ..registry import resolve
    from .common import check_writable_dir
    from .output import print_rows

    if args.replays:
        raise UserError("--replays keeps the episodes played; --offline plays none (give one or the other)")
    files = replay_files(args.offline)
    labels = agent_labels(args.agent)
    agents = {label: resolve(spec, seed=args.seed) for label, spec in zip(labels, args.agent)}
    warn_untrained(args.agent, "evaluates")
    out = Path(args.out) if args.out else default_out("reports", "offline")
    check_writable_dir(out)
    result = offline.evaluate_offline(agents, files, rollouts=args.rollouts, states=args.states, seed=args.seed,
                              reps=args.reps, progress=not args.no_progress)
    command = (f"fgo eval --offline {','.join(args.offline)} --agent {','.join(args.agent)} --rollouts "
               f"{args.rollouts} --states {args.states} --seed {args.seed}")
    written = offline.write_offline_report(result, out, command=command, plots=not args.no_plots)
    print_rows([{"agent": r["agent"], "recorded": r["recorded"], "decisions": r["decisions"], "top-1": _pct(r["top1"]),
                 "top-3": _pct(r["top3"]), "chance": _pct(r["chance"]), "loglik": "-" if math.isnan(r["loglik"]) else f"{r['loglik']:.2f}"}
                for r in offline.agreement_rows(result) if r["kind"] == "all"],
               f"agreement with {result.decisions} recorded decisions ({result.episodes} episodes)")
    cf = offline.counterfactual_rows(result)
    if cf:
        print_rows([{"agent": r["agent"], "recorded": r["recorded"], "states": r["states"],
                     **{label: f"{r[k]:+.2f} [{r[k + '_low']:+.2f}, {r[k + '_high']:+.2f}]"
                        for k, label in (("win_rate", "change in win rate"), ("turns", "change in turns"))}}
                    for r in cf], f"counterfactual: {args.rollouts} rollouts per state, vs the recording (95 % CI)")
    print("wrote " + ", ".join(str(f) for f in written.values()))
    return 0


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.1f} %"


def run(args: argparse.Namespace) -> int:
    if args.offline:
        return run_offline(args)
    from ..evaluate import evaluate_many
    from ..experiments.tables import write_rows
    from ..registry import resolve
    from .common import check_quests, check_writable_dir, load_content
    from .output import print_table

    catalogue = load_content(args.content)
    check_quests(args.quest, args.content)
    for spec in args.agent:
        resolve(spec, seed=args.seed)  # every agent loads before any game is played
    warn_untrained(args.agent, "evaluates")
    out = Path(args.out) if args.out else default_out("reports", "eval")
    check_writable_dir(out.parent)
    if args.replays:
        check_writable_dir(args.replays)
    rows = evaluate_many(args.agent, args.quest, args.episodes, args.seed, progress=not args.no_progress,
                         catalogue=catalogue, labels=agent_labels(args.agent), replays=args.replays)
    title = f"{args.episodes} episodes per agent and quest, seeds {args.seed}..{args.seed + args.episodes - 1}"
    print_table(rows, title)
    files = write_rows(rows, out, title, note="Generated by `fgo eval " + " ".join(
        f"--{k} {','.join(v) if isinstance(v, list) else v}" for k, v in
        (("agent", args.agent), ("quest", args.quest), ("episodes", args.episodes), ("seed", args.seed))) + "`.")
    print("wrote " + ", ".join(str(f) for f in files))
    if args.replays:
        print(f"replays of every episode in {args.replays}/ (fgo replay info {args.replays}/*.jsonl.gz)")
    return 0
