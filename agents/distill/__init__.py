"""Search distillation (expert iteration's first step) and the shipped generalist policy.

* `record`: the search agent's games recorded in the replay format, with its per-decision
  visits and scores (``fgo distill record``).
* `dataset`: those replays re-simulated into arrays (observation, legal mask, the search's
  target distribution, discounted return), cached beside them.
* `learner`: ``fgo train --agent distilled``: a masked PPO network first fitted to the dataset
  (masked cross-entropy to the search's distribution, plus its value head on the returns), then
  improved by PPO from there.
* `shipped`: the generalist policy that ships in the repository (``--agent generalist``).

See docs/distillation.md.
"""
