"""The ``fgo`` command line: the only front end of the project (argparse, printing, exit codes).

Each subcommand is a module here with ``add_arguments(parser)`` and ``run(args) -> int``; the
library below takes explicit parameters and raises, `agents.cli.main` turns a user's mistake
into one ``fgo: error: ...`` line.
"""
