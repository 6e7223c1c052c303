"""The shape of ``agents``: front ends only under ``agents/cli``, no import cycles in the library,
and the command line importable without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agents", "feature_models", "fgo_env", "replays")


def _library_files():
    for package in PACKAGES:
        for f in sorted((ROOT / package).rglob("*.py")):
            if not f.relative_to(ROOT).as_posix().startswith("agents/cli/"):
                yield f


def test_argparse_printing_and_exits_only_under_agents_cli():
    bad = []
    for f in _library_files():
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            where = f"{f.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names):
                bad.append(f"{where} imports argparse")
            if isinstance(node, ast.ImportFrom) and node.module == "argparse":
                bad.append(f"{where} imports argparse")
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else f"{getattr(fn.value, 'id', '?')}.{fn.attr}" \
                    if isinstance(fn, ast.Attribute) else ""
                if name in ("print", "sys.exit", "exit", "quit"):
                    bad.append(f"{where} calls {name}")
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    getattr(node.exc.func, "id", "") == "SystemExit":
                bad.append(f"{where} raises SystemExit")
    assert not bad, "front-end code below agents/cli:\n" + "\n".join(bad)


def _module_name(f: Path) -> str:
    parts = f.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(f: Path, modules: set[str]) -> set[str]:
    """Modules of ``modules`` that ``f`` imports anywhere (function-level imports count too)."""
    me = _module_name(f)
    package = me.split(".") if f.name == "__init__.py" else me.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(f.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] if node.level else [])
            prefix = ".".join(p for p in (base, node.module or "") if p) if node.level else node.module
            names = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in modules and name != me:
                out.add(name)
    return out


def test_agents_library_has_no_import_cycles():
    files = [f for f in (ROOT / "agents").rglob("*.py") if "cli" not in f.relative_to(ROOT).parts]
    modules = {_module_name(f) for f in files} - {"agents"}
    graph = {_module_name(f): _imports(f, modules) for f in files}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


# What each package may import of the others (shared/DESIGN.md: agents > replays > fgo_env;
# feature_models beside replays, on fgo_env).
ALLOWED = {"fgo_env": set(), "replays": {"fgo_env"}, "feature_models": {"fgo_env"},
           "agents": {"fgo_env", "replays", "feature_models"}}


def test_packages_import_only_the_layers_below():
    bad = []
    for package, allowed in ALLOWED.items():
        others = set(PACKAGES) - {package}
        for f in sorted((ROOT / package).rglob("*.py")):
            for name in sorted(_imports(f, others) - allowed):
                bad.append(f"{f.relative_to(ROOT)} imports {name}")
    assert not bad, "layering broken:\n" + "\n".join(bad)


def test_replays_import_no_torch_and_reading_compiles_no_engine():
    code = ("import sys\n"
            "import replays\n"
            "from replays.io import open_replay\n"
            "assert not {'torch', 'agents', 'feature_models', 'numba'} & set(sys.modules), sorted(sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_command_line_imports_without_torch():
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('torch', 'stable_baselines3', 'sb3_contrib'):\n"
            "            raise ImportError('no ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "import agents.cli.main as m\n"
            "m.build_parser().parse_args(['quests'])\n"
            "assert 'torch' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    help_text = subprocess.run([sys.executable, "-m", "agents.cli.main", "--help"], capture_output=True, text=True,
                               cwd=ROOT, timeout=120)
    assert help_text.returncode == 0 and "compare" in help_text.stdout
