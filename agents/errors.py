"""Errors a user can cause: the ``fgo`` command prints them as one line, never a traceback.

Library code raises these (or `agents.checkpoint.CheckpointError`, ``fgo_env``'s
``ContentError``, ``feature_models``' ``WeightsError``, a missing file's ``OSError``) for a bad
value, an unknown name or an unusable file; any other exception is a bug.
"""

from __future__ import annotations


class UserError(ValueError):
    """A mistake in what the user asked for; the message names the value and what would be valid."""


class UnknownAgentError(UserError):
    """A name that is neither a registered agent nor an existing path."""


class NotAnAgentError(UserError):
    """A path that exists but holds no loadable agent (for example an interrupted run)."""


class TrainingInterrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped a training run after its checkpoint and agent were saved.

    Attributes:
        run_dir: the run folder; step: the step the checkpoint holds.
    """

    def __init__(self, run_dir, step: int):
        super().__init__(f"training interrupted at step {step:,}; checkpoint and agent.json saved in {run_dir}")
        self.run_dir, self.step = run_dir, int(step)


def agent_name(agent) -> str:
    """An agent as an error message names it: its ``name``, else its type."""
    return getattr(agent, "name", type(agent).__name__)


def shown(value) -> str:
    """``value`` for a one-line message: a short repr and its type."""
    text = " ".join(repr(value).split())
    return f"{text if len(text) <= 60 else text[:57] + '...'} ({type(value).__name__})"


__all__ = ["NotAnAgentError", "TrainingInterrupted", "UnknownAgentError", "UserError", "agent_name", "shown"]
