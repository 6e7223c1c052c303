"""`MultiTaskModel`: one shared backbone and a `ModuleDict` of task heads (Tonks' design).

Heads live in two dicts, as in Tonks: ``pretrained_heads`` (trained before, loaded from weights)
and ``new_heads`` (created for this run). `add_task` adds a new head and, unless asked otherwise,
freezes the backbone and every pretrained head, so training afterwards changes only the new head
and the old heads' outputs stay bit-identical (frozen parts are also kept in eval mode, so their
batch-norm statistics do not move). `promote_new_heads` moves new heads to ``pretrained_heads``
(done on save, as Tonks does).

``model(x, task)`` takes a crop batch of that task: ``(B, 3, S, S)`` for classify heads, ``(B, k,
3, S, S)`` for match heads (anchor + candidates), floats in [0, 1] (`to_input` converts uint8
NHWC crops); pair heads take ``(B, 2, 3, S, S)`` like match heads. `features` runs the backbone once on any crops, `head_logits` applies one head to
features, so the parser runs the backbone once over all crops of a frame.

A **branch** (`add_branch`; a branched multi-task network) gives a few tasks their own copy of
the backbone's last stages on top of the shared stem and first stages: their crops go through
the shared lower layers, then through the branch instead of the backbone's own last stages. It
is how a head the other tasks crowd out gets capacity of its own (the wave digits: trained alone
they read better than inside the whole model, docs/vision_experiments.md) while everything
else keeps its exact outputs: `train_branch_only` freezes the rest.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import numpy as np
import torch
from torch import nn

from .backbone import BackboneConfig, ResNetTiny, count_parameters
from .tasks import TASKS, TaskSpec

HEAD_HIDDEN = 64


class ClassifyHead(nn.Module):
    """features (B, D) -> logits (B, n)."""

    def __init__(self, dim: int, n_classes: int, hidden: int = HEAD_HIDDEN):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_classes))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.net(f)


class MatchHead(nn.Module):
    """features (B, 1 + n, D) of an anchor and n candidates -> logits (B, n) or (B, n + 1): a shared
    pair scorer on (|a - c|, a·c) for each candidate c (Siamese matching, as Pendragon's brave-chain
    net). With ``n_classes == n + 1`` a learned "none" logit (the anchor matches no candidate)
    is appended, so a card whose owner's NP card is not shown has an answer of its own."""

    def __init__(self, dim: int, n_classes: int, hidden: int = HEAD_HIDDEN, n_candidates: int | None = None):
        super().__init__()
        self.n_classes = n_classes
        self.n_candidates = n_classes if n_candidates is None else int(n_candidates)
        if n_classes not in (self.n_candidates, self.n_candidates + 1):
            raise ValueError(f"MatchHead: {n_classes} classes for {self.n_candidates} candidates")
        self.net = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))
        if n_classes == self.n_candidates + 1:
            self.none_logit = nn.Parameter(torch.zeros(1))
        else:
            self.register_parameter("none_logit", None)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        a, c = f[:, :1], f[:, 1:]
        pair = torch.cat([(a - c).abs(), a * c], dim=-1)
        scores = self.net(pair).squeeze(-1)
        if self.none_logit is None:
            return scores
        return torch.cat([scores, self.none_logit.expand(scores.shape[0], 1)], dim=-1)


class PairHead(nn.Module):
    """features (B, 2, D) of two crops -> logits (B, n), symmetric in the two crops: an MLP on
    (|a - b|, a·b) (the same-owner relation of two face cards)."""

    def __init__(self, dim: int, n_classes: int, hidden: int = HEAD_HIDDEN):
        super().__init__()
        self.n_classes = n_classes
        self.net = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_classes))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        a, b = f[:, 0], f[:, 1]
        return self.net(torch.cat([(a - b).abs(), a * b], dim=-1))


def make_head(spec: TaskSpec, dim: int, hidden: int = HEAD_HIDDEN) -> nn.Module:
    if spec.head == "classify":
        return ClassifyHead(dim, spec.n_classes, hidden)
    if spec.head == "match":
        return MatchHead(dim, spec.n_classes, hidden, n_candidates=spec.n_crops - 1)
    if spec.head == "pair":
        if spec.n_crops != 2:
            raise ValueError(f"task {spec.name!r}: a pair head takes 2 crops, not {spec.n_crops}")
        return PairHead(dim, spec.n_classes, hidden)
    raise ValueError(f"task {spec.name!r}: unknown head kind {spec.head!r}")


def to_input(crops) -> torch.Tensor:
    """uint8 crops (..., S, S, 3) (numpy or tensor) -> float tensor (..., 3, S, S) in [0, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(crops)) if isinstance(crops, np.ndarray) else crops
    return t.movedim(-1, -3).float().div_(255.0)


def _specs(tasks) -> dict[str, TaskSpec]:
    if tasks is None:
        return {}
    if isinstance(tasks, Mapping):
        tasks = tasks.values()
    out = {}
    for t in tasks:
        spec = TASKS[t] if isinstance(t, str) else t
        out[spec.name] = spec
    return out


class MultiTaskModel(nn.Module):
    """Shared `ResNetTiny` backbone + one head per task.

    Args:
        backbone: `BackboneConfig` (default widths 24/48/96 on 32-px crops).
        new_tasks: tasks whose heads are created now (names of ``feature_models.tasks.TASKS`` or
            `TaskSpec`), trained with the "new heads" learning rate.
        pretrained_tasks: tasks whose heads come with loaded weights.
        head_hidden: width of every head's hidden layer.
    """

    def __init__(self, backbone: BackboneConfig | None = None, new_tasks: Iterable | Mapping | None = None,
                 pretrained_tasks: Iterable | Mapping | None = None, head_hidden: int = HEAD_HIDDEN,
                 branch: Mapping | None = None):
        super().__init__()
        self.backbone_config = backbone or BackboneConfig()
        self.backbone = ResNetTiny(self.backbone_config)
        self.head_hidden = int(head_hidden)
        self.specs: dict[str, TaskSpec] = {}
        self.pretrained_heads = nn.ModuleDict()
        self.new_heads = nn.ModuleDict()
        for spec in _specs(pretrained_tasks).values():
            self._add_head(spec, pretrained=True)
        for spec in _specs(new_tasks).values():
            self._add_head(spec, pretrained=False)
        self.branch_tasks: tuple[str, ...] = ()
        self.branch_from = 0
        self.register_module("branch", None)
        if branch:  # {"tasks": [...], "from_stage": k}, as `config` writes it
            self.add_branch(branch["tasks"], int(branch["from_stage"]))

    # ---------------------------------------------------------------------------- structure
    def _add_head(self, spec: TaskSpec, pretrained: bool) -> None:
        if spec.name in self.specs:
            raise ValueError(f"task {spec.name!r} already has a head")
        self.specs[spec.name] = spec
        target = self.pretrained_heads if pretrained else self.new_heads
        target[spec.name] = make_head(spec, self.backbone.out_features, self.head_hidden)

    @property
    def tasks(self) -> list[str]:
        return list(self.specs)

    def head(self, task: str) -> nn.Module:
        if task in self.new_heads:
            return self.new_heads[task]
        if task in self.pretrained_heads:
            return self.pretrained_heads[task]
        raise KeyError(f"no head for task {task!r}; the model has {self.tasks}")

    def add_task(self, task: str | TaskSpec, *, train_backbone: bool = False,
                 train_pretrained_heads: bool = False) -> nn.Module:
        """Add a new head for ``task``; freeze the backbone and the existing heads unless asked.

        Every head that existed before (new or pretrained) is promoted to ``pretrained_heads``
        first, so the only head left in ``new_heads`` is the one added here.
        """
        spec = TASKS[task] if isinstance(task, str) else task
        self.promote_new_heads()
        self._add_head(spec, pretrained=False)
        (self.unfreeze_backbone if train_backbone else self.freeze_backbone)()
        self.set_trainable(self.pretrained_heads, train_pretrained_heads)
        self.set_trainable(self.new_heads[spec.name], True)
        return self.new_heads[spec.name]

    def promote_new_heads(self) -> None:
        """Move every new head into ``pretrained_heads`` (keeping the parameters)."""
        for name in list(self.new_heads):
            self.pretrained_heads[name] = self.new_heads[name]
            del self.new_heads[name]

    def add_branch(self, tasks: Iterable[str], from_stage: int = 1) -> nn.Module:
        """Give ``tasks`` their own copy of the backbone's stages from ``from_stage`` on (0: all
        of them, only the stem shared), starting from the backbone's weights, so the model reads
        as before until the branch trains. Returns the branch (an ``nn.Sequential`` of stages)."""
        tasks = tuple(dict.fromkeys(tasks))
        n_stages = len(self.backbone.stages)
        if self.branch is not None:
            raise ValueError(f"the model already has a branch (for {', '.join(self.branch_tasks)}); one branch a model")
        unknown = [t for t in tasks if t not in self.specs]
        if not tasks or unknown:
            raise ValueError(f"a branch needs tasks the model has heads for (it has {', '.join(self.tasks)}), "
                             f"got {', '.join(unknown) if unknown else 'none'}")
        if not 0 <= int(from_stage) < n_stages:
            raise ValueError(f"a branch starts at a stage from 0 to {n_stages - 1} (the backbone has {n_stages} "
                             f"stages and the branch copies the ones from there on), got {from_stage}")
        self.branch_tasks, self.branch_from = tasks, int(from_stage)
        self.branch = copy.deepcopy(self.backbone.stages[self.branch_from:])
        return self.branch

    def train_branch_only(self) -> None:
        """Only the branch and its tasks' heads train: the shared backbone and every other head are
        frozen (and kept in eval mode), so the other heads read exactly as before."""
        if self.branch is None:
            raise ValueError("the model has no branch to train (add_branch first)")
        self.set_trainable(self, False)
        self.set_trainable(self.branch, True)
        for t in self.branch_tasks:
            self.set_trainable(self.head(t), True)

    def branch_network(self) -> ResNetTiny | None:
        """A copy of the network the branch's tasks read through (the backbone's stem and first
        stages, then the branch) as one `ResNetTiny`, for the parser to fuse and trace; None
        without a branch."""
        if self.branch is None:
            return None
        net = copy.deepcopy(self.backbone)
        net.stages = nn.Sequential(*net.stages[:self.branch_from], *copy.deepcopy(self.branch))
        return net

    # ---------------------------------------------------------------------------- freezing
    @staticmethod
    def set_trainable(module: nn.Module, trainable: bool) -> None:
        for p in module.parameters():
            p.requires_grad_(trainable)

    def freeze_backbone(self) -> None:
        """The backbone and its branch, if any."""
        self.set_trainable(self.backbone, False)
        if self.branch is not None:
            self.set_trainable(self.branch, False)

    def unfreeze_backbone(self) -> None:
        self.set_trainable(self.backbone, True)
        if self.branch is not None:
            self.set_trainable(self.branch, True)

    def freeze_pretrained_heads(self) -> None:
        self.set_trainable(self.pretrained_heads, False)

    def unfreeze_pretrained_heads(self) -> None:
        self.set_trainable(self.pretrained_heads, True)

    def freeze_all_pretrained(self) -> None:
        """Backbone and pretrained heads frozen; only new heads train."""
        self.freeze_backbone()
        self.freeze_pretrained_heads()

    def unfreeze_all(self) -> None:
        self.set_trainable(self, True)

    def train(self, mode: bool = True) -> "MultiTaskModel":
        """As `nn.Module.train`, but fully frozen parts stay in eval mode (frozen BN statistics)."""
        super().train(mode)
        if mode:
            branch = [] if self.branch is None else [self.branch]
            for part in [self.backbone, *branch, *self.pretrained_heads.values(), *self.new_heads.values()]:
                if all(not p.requires_grad for p in part.parameters()):
                    part.eval()
        return self

    # ---------------------------------------------------------------------------- forward
    def features(self, x: torch.Tensor, task: str | None = None) -> torch.Tensor:
        """Backbone features of crops (..., 3, S, S) -> (..., D), through the branch when ``task``
        is one of the branch's."""
        lead = x.shape[:-3]
        x = x.reshape(-1, *x.shape[-3:]).contiguous(memory_format=torch.channels_last)
        if self.branch is not None and task in self.branch_tasks:
            b = self.backbone
            f = b.pool(self.branch(b.lower(x, self.branch_from)))
        else:
            f = self.backbone(x)
        return f.reshape(*lead, f.shape[-1])

    def joint_features(self, parts: list[tuple[str, torch.Tensor]]) -> list[torch.Tensor]:
        """Features of several tasks' crop batches ``[(task, crops (B, 3, S, S)), ...]`` in one
        pass per route (the backbone, the branch), so batch-norm statistics in training mix the
        tasks as they do at inference; in the order given."""
        out: list = [None] * len(parts)
        for branched in (False, True):
            at = [i for i, (t, _) in enumerate(parts) if (t in self.branch_tasks) == branched]
            if not at:
                continue
            f = self.features(torch.cat([parts[i][1] for i in at]), parts[at[0]][0])
            pos = 0
            for i in at:
                n = parts[i][1].shape[0]
                out[i], pos = f[pos:pos + n], pos + n
        return out

    def head_logits(self, task: str, f: torch.Tensor) -> torch.Tensor:
        return self.head(task)(f)

    def forward(self, x, task: str) -> torch.Tensor:
        """Logits of ``task`` for crop batch ``x``: (B, 3, S, S) for classify heads; (B, k, 3, S, S)
        or ``(crops, index)`` (distinct crops (U, 3, S, S) and per-sample indices (B, k), so crops
        shared by several samples run through the backbone once) for match and pair heads."""
        spec = self.specs.get(task)
        if spec is None:
            raise KeyError(f"no head for task {task!r}; the model has {self.tasks}")
        if isinstance(x, (tuple, list)):
            crops, index = x
            return self.head_logits(task, self.features(crops, task)[index])
        want = 4 if spec.head == "classify" else 5
        if x.dim() != want:
            raise ValueError(f"task {task!r} takes a {want}-d crop batch, got shape {tuple(x.shape)}")
        return self.head_logits(task, self.features(x, task))

    # ---------------------------------------------------------------------------- info
    def config(self) -> dict:
        branch = {"branch": {"tasks": list(self.branch_tasks), "from_stage": self.branch_from}} if self.branch is not None else {}
        return {"backbone": self.backbone_config.to_dict(), "head_hidden": self.head_hidden,
                "tasks": {n: s.to_dict() for n, s in self.specs.items()},
                "pretrained_heads": list(self.pretrained_heads), "new_heads": list(self.new_heads), **branch}

    @classmethod
    def from_config(cls, cfg: Mapping) -> "MultiTaskModel":
        specs = {n: TaskSpec.from_dict(d) for n, d in cfg["tasks"].items()}
        new = [specs[n] for n in cfg.get("new_heads", [])]
        pre = [specs[n] for n in specs if n not in set(cfg.get("new_heads", []))]
        return cls(BackboneConfig.from_dict(cfg["backbone"]), new_tasks=new, pretrained_tasks=pre,
                   head_hidden=int(cfg.get("head_hidden", HEAD_HIDDEN)), branch=cfg.get("branch"))

    def parameter_count(self) -> int:
        return count_parameters(self)


__all__ = ["ClassifyHead", "MatchHead", "PairHead", "MultiTaskModel", "make_head", "to_input"]
