"""``fgo train --agent distilled``: our PPO network fitted to a search agent's games, then PPO.

The run has two phases, one network (`agents.learners.ppo.ActorCritic`):

1. **Distillation** (`Distilled.prepare`, before the first evaluation): the masked policy is
   fitted by cross-entropy to the teacher's target distribution (`dataset.target_distribution`:
   its decision, mixed with ``visit_weight`` of its visit counts), the value head by regression on
   the discounted returns of the recorded games; ``distill_epochs`` epochs of Adam at
   ``distill_lr``, stopped early when the cross-entropy on held-out games (``holdout``, whole
   episodes) has not improved for ``distill_patience`` epochs, the best epoch's weights kept.
2. **PPO** from there, exactly `agents.learners.ppo.PPO` (its hyperparameters, on ``quests``
   plus ``generated`` quests of the generator's train range) for the run's steps; with
   ``bc_coef`` > 0, every PPO minibatch's loss also takes ``bc_coef`` x the cross-entropy to the
   teacher on ``bc_batch`` rows of the dataset (PPO+BC: DAgger's labels go on pulling where the
   rewards alone do not; ``distill_epochs=0`` with ``init`` continues a trained policy so).

So the learning curve's first row (step 0) is the distilled policy, and ``--steps`` counts PPO's
steps only. The record of the distillation (epochs, held-out cross-entropy and agreement with the
teacher before and after, the dataset's size) goes to ``agent.json`` under ``"distill"``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from fgo_env.engine.actions import ATTACK

from ..errors import UserError
from ..learners.ppo import PPO, Args, mask_bias
from ..learners.ppo import args_from_dict as ppo_args
from . import dataset as D

log = logging.getLogger(__name__)


@dataclass
class DistillArgs(Args):
    dataset: list[str] = field(default_factory=list)
    """replay files or folders of the teacher's games (fgo distill record)"""
    distill_epochs: int = 30
    """most epochs over the dataset"""
    distill_lr: float = 1e-3
    """Adam learning rate of the distillation"""
    distill_batch: int = 1024
    """decisions per minibatch of the distillation"""
    distill_vf_coef: float = 0.5
    """weight of the value head's loss in the distillation"""
    visit_weight: float = 0.25
    """share of the target given to the search's visit counts (the rest: its decision)"""
    holdout: float = 0.1
    """share of the dataset's episodes held out to stop the distillation"""
    distill_patience: int = 4
    """stop after this many epochs without a better held-out cross-entropy"""
    bc_coef: float = 0.0
    """during PPO, add this weight of the cross-entropy to the teacher on a minibatch of the dataset's
    training games to every PPO minibatch's loss (PPO+BC: DAgger's labels keep pulling where the
    rewards alone do not); 0: PPO alone"""
    bc_batch: int = 1024
    """decisions per minibatch of that cross-entropy"""
    bc_decisions: str = "all"
    """which of the dataset's decisions that cross-entropy reads: "all", or "command": the command
    screen's only (skills, master skills, targets, seals, order changes, Attack; the card screen's
    chains, where the teacher often picks one of several equivalent orders, are left to PPO)"""

    def __post_init__(self):
        super().__post_init__()
        self.dataset = [self.dataset] if isinstance(self.dataset, str) else [str(p) for p in self.dataset]
        if not 0.0 <= float(self.visit_weight) <= 1.0:
            raise ValueError(f"visit_weight must be within [0, 1], got {self.visit_weight!r}")
        if not 0.0 < float(self.holdout) < 1.0:
            raise ValueError(f"holdout must be within (0, 1), got {self.holdout!r}")
        if float(self.bc_coef) < 0.0:
            raise ValueError(f"bc_coef must be >= 0, got {self.bc_coef!r}")
        if int(self.bc_batch) < 1:
            raise ValueError(f"bc_batch must be >= 1, got {self.bc_batch!r}")
        if self.bc_decisions not in ("all", "command"):
            raise ValueError(f"bc_decisions must be 'all' or 'command', got {self.bc_decisions!r}")


def args_from_dict(params: dict) -> DistillArgs:
    """`DistillArgs` from a dict: unknown keys refused as PPO's are, and a dataset required."""
    args = ppo_args(params, DistillArgs, "distilled")
    if not args.dataset:
        raise UserError("the distilled agent needs a dataset of search games: record one with "
                        "'fgo distill record --out DIR ...' and pass --set dataset=DIR")
    return args


class Distilled(PPO):
    """A PPO run whose network first imitates the teacher (see the module docstring)."""

    kind = "distilled"

    def __init__(self, args: DistillArgs):
        self.distill_report: dict = {}  # filled by the distillation (and restored with a checkpoint)
        self._bc: dict[str, torch.Tensor] | None = None  # the training games' rows, for bc_coef
        self._bc_gen = torch.Generator().manual_seed(int(args.seed) + 1)
        super().__init__(args)

    @property
    def distilled(self) -> bool:
        return bool(self.distill_report)

    # -- phase 1 ---------------------------------------------------------------------------
    def prepare(self, progress: bool = False) -> dict:
        """Fit the network to the dataset (once per run: a resumed run skips it)."""
        if self.distilled:
            return self.distill_report
        a = self.args
        t0 = time.perf_counter()
        data, train, held = self._load()
        log.info("distilling %s decisions of %d games (%d quests), %s held out", f"{len(train):,}",
                 data.episodes, len(data.quests), f"{len(held):,}")
        tr, ho = self._tensors(train), self._tensors(held)
        if a.bc_coef > 0:
            self._bc = self._bc_rows(tr)
        before = self._score(ho)
        history = self._fit(tr, ho, progress)
        after = self._score(ho)
        self.distill_report = {
            "dataset": list(a.dataset), "decisions": len(data), "episodes": data.episodes, "quests": len(data.quests),
            "teacher_win_rate": round(float(data.outcome_win.mean()), 4), "held_out_decisions": len(held),
            "epochs": len(history), "seconds": round(time.perf_counter() - t0, 1),
            "held_out_before": {k: round(v, 5) for k, v in before.items()},
            "held_out_after": {k: round(v, 5) for k, v in after.items()},
            "held_out_ce_by_epoch": [round(h["ce"], 5) for h in history]}
        log.info("distilled in %d epochs (%.0f s): held-out cross-entropy %.3f -> %.3f, agreement with the "
                 "teacher %.3f -> %.3f", len(history), self.distill_report["seconds"], before["ce"], after["ce"],
                 before["agreement"], after["agreement"])
        return self.distill_report

    def _load(self) -> tuple[D.Dataset, D.Dataset, D.Dataset]:
        """The dataset and its (train, held-out) split, checked against this run's network and reward."""
        a = self.args
        try:
            data = D.load(a.dataset, a.obs_mode, a.gamma)
        except D.DatasetError as err:
            raise UserError(str(err)) from None
        if data.obs.shape[1] != self.obs_size:
            raise UserError(f"the dataset's observations have {data.obs.shape[1]} values, the network reads "
                            f"{self.obs_size} (obs_mode {a.obs_mode!r})")
        if data.reward != a.reward:
            raise UserError(f"the dataset's games were recorded with reward {data.reward!r}, this run trains on "
                            f"{a.reward!r}: the value head would learn returns of another scale (record with "
                            f"--reward {a.reward}, or --set reward={data.reward})")
        train, held = data.split(a.holdout, a.seed)
        if len(held) == 0 or len(train) == 0:
            raise UserError(f"the dataset ({data.episodes} episodes) is too small to hold out {a.holdout:.0%} "
                            "of its games: record more")
        return data, train, held

    # -- phase 2: PPO, with the teacher's cross-entropy beside it (bc_coef) ----------------------
    def aux_loss(self) -> torch.Tensor | None:
        """``bc_coef`` x the cross-entropy to the teacher's target on ``bc_batch`` random training rows
        of the dataset (loaded again when a resumed run skipped the distillation)."""
        a = self.args
        if a.bc_coef <= 0:
            return None
        if self._bc is None:
            self._bc = self._bc_rows(self._tensors(self._load()[1]))
        n = self._bc["obs"].shape[0]
        idx = torch.randint(n, (min(int(a.bc_batch), n),), generator=self._bc_gen).to(self.device)
        ce, _, _ = self._losses({k: v.index_select(0, idx) for k, v in self._bc.items()}, value=False)
        return a.bc_coef * ce

    def _bc_rows(self, t: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The rows ``bc_decisions`` keeps: all, or those of the command screen (Attack legal there only)."""
        if self.args.bc_decisions == "all":
            return t
        keep = t["mask"][:, ATTACK]
        if not bool(keep.any()):
            raise UserError("bc_decisions 'command': the dataset holds no decision of the command screen")
        return {k: v[keep] for k, v in t.items()}

    def _fit(self, tr: dict[str, torch.Tensor], ho: dict[str, torch.Tensor], progress: bool) -> list[dict]:
        """Epochs of Adam until the held-out cross-entropy stops improving; the network keeps its
        best epoch's weights. Returns each epoch's held-out scores."""
        from tqdm.auto import tqdm

        a = self.args
        opt = torch.optim.Adam(self.agent.parameters(), lr=a.distill_lr)
        gen = torch.Generator().manual_seed(int(a.seed))
        best, best_state, since, history = math.inf, None, 0, []
        with tqdm(range(int(a.distill_epochs)), desc="distil", unit="epoch", disable=not progress,
                  dynamic_ncols=True) as bar:
            for _ in bar:
                self._epoch(tr, opt, gen)
                score = self._score(ho)
                history.append(score)
                bar.set_postfix(ce=f"{score['ce']:.3f}", agree=f"{score['agreement']:.3f}", refresh=False)
                if score["ce"] < best - 1e-4:
                    best, since = score["ce"], 0
                    best_state = {k: v.detach().clone() for k, v in self.agent.state_dict().items()}
                else:
                    since += 1
                    if since >= int(a.distill_patience):
                        break
        if best_state is not None:
            self.agent.load_state_dict(best_state)
        return history

    def _tensors(self, d: D.Dataset) -> dict[str, torch.Tensor]:
        """The rows training reads, on the device (indices as int64, what gather and scatter take)."""
        def column(k):
            a = getattr(d, k)
            return torch.from_numpy(a.astype(np.int64) if k in ("action", "visit_idx") else a).to(self.device)

        return {k: column(k) for k in ("obs", "mask", "action", "visit_idx", "visit_n", "ret")}

    def _losses(self, b: dict[str, torch.Tensor], value: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(cross-entropy to the target, value loss (0 unless ``value``), logits) of a batch."""
        h = self.agent.actor_body(b["obs"])
        logits = self.agent.actor_head(h) + mask_bias(b["mask"])
        logp = torch.log_softmax(logits, dim=-1)
        target = D.target_distribution(b["action"], b["visit_idx"], b["visit_n"], b["mask"], self.args.visit_weight)
        ce = -(target * torch.where(b["mask"], logp, torch.zeros_like(logp))).sum(-1).mean()
        if not value:
            return ce, torch.zeros(()), logits
        value = self.agent._value(h if self.agent.critic_body is None else self.agent.critic_body(b["obs"]))
        v_loss = 0.5 * ((value.view(-1) - b["ret"]) ** 2).mean()
        return ce, v_loss, logits

    def _epoch(self, t: dict[str, torch.Tensor], opt, gen: torch.Generator) -> None:
        n = t["obs"].shape[0]
        order = torch.randperm(n, generator=gen).to(self.device)
        for start in range(0, n, int(self.args.distill_batch)):
            idx = order[start:start + int(self.args.distill_batch)]
            ce, v_loss, _ = self._losses({k: v.index_select(0, idx) for k, v in t.items()})
            loss = ce + self.args.distill_vf_coef * v_loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.agent.parameters(), self.args.max_grad_norm)
            opt.step()

    @torch.no_grad()
    def _score(self, t: dict[str, torch.Tensor]) -> dict[str, float]:
        """Held-out cross-entropy to the target, value loss and top-1 agreement with the teacher."""
        ce_sum = v_sum = agree = 0.0
        n = t["obs"].shape[0]
        for start in range(0, n, 8192):
            b = {k: v[start:start + 8192] for k, v in t.items()}
            ce, v_loss, logits = self._losses(b)
            m = b["obs"].shape[0]
            ce_sum, v_sum = ce_sum + float(ce) * m, v_sum + float(v_loss) * m
            agree += float((logits.argmax(-1) == b["action"]).sum())
        return {"ce": ce_sum / n, "value_loss": v_sum / n, "agreement": agree / n}

    # -- files ---------------------------------------------------------------------------------
    def policy_config(self) -> dict:
        config = super().policy_config()
        config["distill"] = self.distill_report
        return config

    def checkpoint(self) -> dict:
        return {**super().checkpoint(), "distill_report": self.distill_report,  # primitives: weights_only reads it
                "bc_rng": self._bc_gen.get_state()}  # a resumed PPO+BC run draws the same minibatches

    def restore(self, ckpt: dict) -> None:
        super().restore(ckpt)
        self.distill_report = dict(ckpt.get("distill_report") or {})
        if "bc_rng" in ckpt:  # checkpoints before bc_coef have none
            self._bc_gen.set_state(ckpt["bc_rng"])


__all__ = ["DistillArgs", "Distilled", "args_from_dict"]
