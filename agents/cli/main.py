"""``fgo``: one entry point for training, evaluation, comparison, viewing and vision.

A user's mistake (a bad value, an unknown name, a missing, corrupt or unwritable file) is one
line, ``fgo: error: ...``, naming what is wrong and what would be valid, and exit status 2;
Ctrl-C is exit status 130 after whatever can be saved is saved. A traceback means a bug.
A subcommand whose module cannot be imported (a missing optional dependency) is unavailable,
with the reason.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

# subcommand -> (module under agents.cli, help)
SUBCOMMANDS = {
    "train": ("train", "train a learning agent"),
    "eval": ("eval", "evaluate agents on quests"),
    "compare": ("compare", "train and compare agents; write a report"),
    "watch": ("watch", "watch an agent play in a window"),
    "play": ("play", "play a quest with mouse and keyboard"),
    "record": ("record", "record an agent's episodes to a replay (.jsonl[.gz]) and/or a GIF or MP4"),
    "replay": ("replay", "recorded episodes: info, verify, watch, export (Minari)"),
    "vision": ("vision", "the vision model: data | train | eval | label | finetune | kfold"),
    "quests": ("quests", "list the quests"),
    "demo": ("demo", "the demo: train and compare agents briefly, write reports/demo"),
    "calibrate": ("calibrate", "win rates of the scripted agents on every quest (the quest ladder)"),
    "min-roll": ("min_roll", "which agents clear each quest at the minimum damage roll (0.9)"),
    "overkill-bug": ("overkill_bug", "the measured effect of the overkill_bug env option on a quest"),
    "pilot": ("pilot", ("an agent plays battles from screenshots and taps: the simulated phone, an Android "
                        "device (adb), or a dry run on a folder of screenshots")),
    "distill": ("distill", "search distillation's dataset: record the search agent's games | info"),
    "benchmark": ("benchmark", "the multi-task and transfer benchmark: transfer | multitask | features | norms | tasks"),
}
EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def user_errors() -> tuple[type[BaseException], ...]:
    """The exception types a user's input can cause (everything else is a bug)."""
    from fgo_env.content import ContentError, UnknownIdError

    from replays.format import ReplayError

    from ..checkpoint import CheckpointError
    from ..errors import UserError

    kinds: list[type[BaseException]] = [UserError, CheckpointError, ReplayError, ContentError, UnknownIdError,
                                        FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
                                        FileExistsError]
    # Only from modules already imported: an error class no code imported was not raised, and
    # feature_models.io imports torch (seconds: every one-line error paid them).
    for module, name in _HEAVY_ERRORS:
        if sys.modules.get(module) is not None:  # None: an import Python was told to refuse
            kinds.append(getattr(sys.modules[module], name))
    return tuple(kinds)


_HEAVY_ERRORS = (("feature_models.io", "WeightsError"), ("feature_models.data", "DatasetError"),
                 ("agents.pilot.client", "DeviceError"))


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: ``fgo: error: <what>  (fgo <command> --help)``."""

    def error(self, message: str):
        print(f"fgo: error: {message}  (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def _get_values(self, action, arg_strings):
        """Refuse an empty value given to any option or argument of text (``--out ""``, an unset
        shell variable): as a path it would be the current folder, so ``fgo eval --out ""`` wrote
        its report there and ``--replays ""`` kept none, silently; no text option of ``fgo`` means
        anything by "". (argparse's one place that sees every value given; a check in each option's
        type would miss the next option added.)"""
        if action.type in (None, str) and action.nargs != argparse.PARSER and "" in arg_strings:
            name = "/".join(action.option_strings) or action.metavar or action.dest
            self.error(f"argument {name}: an empty value; give one")
        return super()._get_values(action, arg_strings)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="fgo", description="Pendragon Gym command line")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    subs = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        try:
            importlib.import_module(f"agents.cli.{module}").add_arguments(sub)
        except ImportError as err:
            sub.set_defaults(_unavailable=f"'fgo {name}' is unavailable: {err}")
    return parser


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and err.filename is not None:
        return f"{err.filename}: {err.strerror or err}"
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())  # one line


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt


OWN_PACKAGES = ("agents", "fgo_env", "feature_models", "replays")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """The project's own warnings (a torn replay skipped, an untrained agent, ...) as one line,
    ``fgo: warning: ...``, as its errors; other libraries' keep Python's form (where they come from)."""
    module = Path(filename).parts
    if any(part in OWN_PACKAGES for part in module[-3:]):
        print(f"fgo: warning: {' '.join(str(message).split())}", file=file or sys.stderr)
    else:
        _python_warning(message, category, filename, lineno, file, line)


_python_warning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # in the start-up's imports, before the command's own handling below
        print("fgo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(f"fgo: error: {args._unavailable}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="fgo: %(message)s",
                        stream=sys.stderr)
    for noisy in ("numba", "matplotlib", "PIL", "h5py", "torch"):  # torch: cache stats at exit after a Ctrl-C
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminate)  # a kill is handled like Ctrl-C: save, then stop
    warnings.showwarning = _show_warning
    module = importlib.import_module(f"agents.cli.{SUBCOMMANDS[args.command][0]}")
    from ..errors import TrainingInterrupted

    try:
        return int(module.run(args) or 0)
    except TrainingInterrupted as stop:  # a training inside another command (compare, demo)
        from ..runs import resume_command

        print(f"fgo: {stop}; the run resumes with: {resume_command(stop.run_dir)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt as stop:  # a plain Ctrl-C, or one a library says what it kept on (FitInterrupted)
        print(f"fgo: {stop}" if str(stop) else "fgo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `fgo ... | head`: the reader left; not an error (Python docs' recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except user_errors() as err:
        print(f"fgo: error: {_message(err)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
