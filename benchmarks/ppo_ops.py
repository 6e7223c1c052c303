"""The tensor operations behind our PPO's speed choices, timed side by side (docs/training.md, "Speed").

    python benchmarks/ppo_ops.py [--threads 1]

On a minibatch of 2,048 rows of 376 logits (about 10 % legal) and a rollout step of 1,024 games:

* masking: ``torch.where(mask, logits, -1e8)`` against adding `mask_bias` (what the update does);
* sampling: Gumbel-max (a uniform and two logs per logit) against `sample_categorical` (inverse
  CDF), softmax included in both;
* gathering minibatch rows: ``x[idx]`` against ``x.index_select(0, idx)``, float32 and bfloat16;
* ``exp`` of ordinary logits against ``exp`` of -1e8-masked logits (why the entropy uses softmax).

Median microseconds of repeated calls; prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import timeit

import torch


def median_us(fn, repeat: int = 50) -> float:
    fn()  # warm-up
    return 1e6 * statistics.median(timeit.repeat(fn, number=1, repeat=repeat))


def main() -> None:
    from agents.learners.ppo import NEG_LOGIT, mask_bias, sample_categorical

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    logits = torch.randn(2048, 376)
    mask = torch.rand(2048, 376) < 0.1
    mask[:, 0] = True
    bias = mask_bias(mask)
    neg = torch.tensor(NEG_LOGIT)
    step = torch.where(mask, logits, neg)[:1024]
    rows = {dt: torch.zeros(32768, 376, dtype=dt) for dt in (torch.float32, torch.bfloat16)}
    idx = torch.randperm(32768)[:2048]
    masked = torch.where(mask, logits, neg)

    def gumbel():
        return torch.argmax(step - torch.log(-torch.log(torch.rand_like(step))), dim=-1)

    pairs = {
        "mask: where": lambda: torch.where(mask, logits, neg),
        "mask: + mask_bias": lambda: logits + bias,
        "sample 1024: Gumbel-max": gumbel,
        "sample 1024: softmax + inverse CDF": lambda: sample_categorical(torch.softmax(step, dim=-1)),
        "gather float32: x[idx]": lambda: rows[torch.float32][idx],
        "gather float32: index_select": lambda: rows[torch.float32].index_select(0, idx),
        "gather bfloat16: x[idx]": lambda: rows[torch.bfloat16][idx],
        "gather bfloat16: index_select": lambda: rows[torch.bfloat16].index_select(0, idx),
        "exp: ordinary logits": lambda: logits.exp(),
        "exp: -1e8-masked logits": lambda: masked.exp(),
    }
    times = {name: median_us(fn) for name, fn in pairs.items()}
    print(f"{torch.get_num_threads()} thread(s)")
    for name, us in times.items():
        print(f"{name:<38} {us:>10,.0f} us")
    ratios = {"where / add": times["mask: where"] / times["mask: + mask_bias"],
              "gumbel / inverse_cdf": times["sample 1024: Gumbel-max"] / times["sample 1024: softmax + inverse CDF"],
              "index / index_select float32": times["gather float32: x[idx]"] / times["gather float32: index_select"],
              "index / index_select bfloat16": times["gather bfloat16: x[idx]"] / times["gather bfloat16: index_select"],
              "masked exp / exp": times["exp: -1e8-masked logits"] / times["exp: ordinary logits"]}
    for name, r in ratios.items():
        print(f"{name:<38} {r:>10.1f}x")
    print(json.dumps({"threads": torch.get_num_threads(), "us": {k: round(v, 1) for k, v in times.items()},
                      "ratios": {k: round(v, 2) for k, v in ratios.items()}}))


if __name__ == "__main__":
    main()
