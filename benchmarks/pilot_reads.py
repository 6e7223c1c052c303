"""What the pilot reads wrong, field by field, and under which looks.

    python benchmarks/pilot_reads.py [--agent ppo_screen] [--episodes 40] [--quest farming_3wave] [--seed 10000]
                                     [--weights feature_models/weights/multitask]

Plays ``--episodes`` battles piloted on `SimulatedClient` (random looks, random phone shapes, no
faults: `benchmarks/pilot.py`'s "pilot" run, same seeds) and compares every decision screen's
parsed `Features` with the simulated phone's true ones (`PilotRecorder`'s ``true_features``), per
field. Card fields count on card screens only. Each battle's look is kept (status bar, family,
aspect mode, mid-animation, notification), so the misreads can be split by what was on screen.

Prints the per-field table, the wave's misreads by the look's status bar, the battles whose wave
was misread, and one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from agents import registry  # noqa: E402
from agents.pilot.pilot import Pilot, PilotError  # noqa: E402
from agents.pilot.recording import PilotRecorder  # noqa: E402
from agents.pilot.sim_client import SimulatedClient  # noqa: E402
from fgo_env.features import FEATURE_INDEX, PHASE_CARDS  # noqa: E402
from replays import read_episodes  # noqa: E402

FIELDS = {name: (s.start, s.stop) if isinstance(s, slice) else (s, s + 1) for name, s in FEATURE_INDEX.items()}


def pilot_battles(agent_name: str, quest: str, seeds: list[int], folder: Path, weights: str | None = None) -> list[dict]:
    """Pilot one battle per seed, recorded with true features; each battle's look and outcome."""
    from feature_models.parser import FrameParser

    agent, parser = registry.resolve(agent_name), FrameParser(weights, threads=1)
    env = gym.make("fgo_env/Battle-v1", quest=quest, obs_mode="features")
    recorder = PilotRecorder(folder / "reads.jsonl", env, agent=agent_name, save_frames=False)
    client = SimulatedClient(quest, seed=seeds[0], look="random", phone="random")
    battles = []
    for s in tqdm(seeds, desc="pilot", leave=False):
        client.reset(s)
        look = client.look
        try:
            Pilot(client, agent, parser, recorder=recorder).play_episode()
            stuck = False
        except PilotError:
            stuck = True
        battles.append({"seed": s, "status_bar": look.status_bar, "family": look.family,
                        "aspect_mode": look.aspect_mode, "mid_animation": look.mid_animation > 0,
                        "notification": bool(look.notification), "outcome": client.outcome, "stuck": stuck})
    recorder.writer.close()
    env.close()
    for battle, episode in zip(battles, read_episodes(folder / "reads.jsonl")):
        battle["read"], battle["true"] = episode.features, episode.extra["true_features"]
    return battles


def misreads(battles: list[dict]) -> tuple[Counter, Counter]:
    """(decisions whose field was read wrong, decisions that show the field), per field."""
    wrong, shown = Counter(), Counter()
    for b in battles:
        for read, true in zip(b["read"], b["true"]):
            read, true = np.asarray(read), np.asarray(true)
            cards = int(np.argmax(true[slice(*FIELDS["phase"])])) == PHASE_CARDS
            for name, (lo, hi) in FIELDS.items():
                if name.startswith("card") and not cards:
                    continue
                shown[name] += 1
                wrong[name] += not np.allclose(read[lo:hi], true[lo:hi], atol=0.5)
    return wrong, shown


def wave_row(read: list, true: list) -> tuple[str, str]:
    lo, hi = FIELDS["wave"]
    return ("".join(str(int(np.argmax(r[lo:hi])) + 1) for r in read),
            "".join(str(int(np.argmax(t[lo:hi])) + 1) for t in true))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", default="ppo_screen")
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--quest", default="farming_3wave")
    parser.add_argument("--seed", type=int, default=10000, help="the first game seed (benchmarks/pilot.py's)")
    parser.add_argument("--weights", default=None, help="the vision model's weights (default: the shipped ones)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        battles = pilot_battles(args.agent, args.quest, list(range(args.seed, args.seed + args.episodes)), Path(tmp),
                                args.weights)
    wrong, shown = misreads(battles)
    families = {f: misreads([b for b in battles if b["family"] == f]) for f in sorted({b["family"] for b in battles})}
    decisions = sum(len(b["read"]) for b in battles)
    print(f"{args.agent} piloted on {args.quest}: {len(battles)} battles, {decisions} decision screens")
    print(f"{'field':<18}{'misread':>16}" + "".join(f"{f + ' look':>16}" for f in families))
    for name in FIELDS:
        if shown[name]:
            cells = [(wrong[name], shown[name])] + [(w[name], n[name]) for w, n in families.values()]
            print(f"{name:<18}" + "".join(f"{f'{w}/{n}':>16}" for w, n in cells))
    by_bar = {}
    print("\nwave misread, by the battle's status bar:")
    for bar in sorted({b["status_bar"] for b in battles}):
        group = [b for b in battles if b["status_bar"] == bar]
        w, n = misreads(group)
        hit = sum(read != true for read, true in (wave_row(b["read"], b["true"]) for b in group))
        by_bar[bar] = {"battles": len(group), "battles_misread": hit, "decisions": n["wave"], "misread": w["wave"]}
        print(f"  {bar:<6} {hit} of {len(group)} battles, {w['wave']} of {n['wave']} decisions")
    print("\nbattles with a wave misread (read / true, one digit per decision):")
    bad = []
    for b in battles:
        read, true = wave_row(b["read"], b["true"])
        if read != true:
            bad.append({k: b[k] for k in ("seed", "status_bar", "family", "aspect_mode", "outcome")})
            print(f"  seed {b['seed']} {b['status_bar']:<5} {b['family']:<7} {b['aspect_mode']:<9} {b['outcome']:<8} "
                  f"read {read}  true {true}")
    print(json.dumps({"agent": args.agent, "quest": args.quest, "battles": len(battles), "decisions": decisions,
                      "misread": {k: wrong[k] for k in FIELDS if shown[k]}, "shown": {k: shown[k] for k in FIELDS},
                      "misread_by_family": {f: {k: w[k] for k in FIELDS if n[k]} for f, (w, n) in families.items()},
                      "wave_by_status_bar": by_bar, "wave_misread_battles": bad,
                      "outcomes": dict(Counter(b["outcome"] for b in battles)),
                      "stuck": sum(b["stuck"] for b in battles)}))


if __name__ == "__main__":
    main()
