"""``fgo pilot`` end to end: a battle on the simulated phone, the folder dry run, and bad input
as one line with the exit status of the other commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agents.cli.main import main
from agents.pilot.client import AreaMap
from agents.pilot.recording import save_png
from agents.pilot.sim_client import SimulatedClient
from fgo_env.screens import layout
from replays.io import open_replay


def test_a_battle_on_the_simulated_phone(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["pilot", "--agent", "greedy_features", "--client", "sim", "--look", "plain", "--episodes", "1",
                 "--seed", "3", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "pilot episodes" in printed and "loop cost (parse + plan)" in printed and "won " in printed
    replay = open_replay(out / "pilot.jsonl")
    (episode,) = list(replay.episodes())
    assert replay.header.source == "pilot" and replay.header.meta["client"] == "sim"
    assert episode.outcome in ("win", "loss", "timeout") and episode.decisions > 0
    assert all((out / f).is_file() for f in episode.frames)


def _screens(folder) -> dict[str, tuple]:
    """A command screen, a card screen (after tapping Attack) and noise, as PNGs in ``folder``,
    on a phone with bars so that device pixels differ from game-area pixels; the phone's area."""
    import numpy as np

    phone = SimulatedClient("farming_3wave", seed=5, look="plain", phone="random")
    command = phone.screenshot()
    area = AreaMap.of(command)
    phone.tap(*area.to_device(*layout.element("attack/button").center))
    phone.sleep(2.0)
    save_png(command, folder / "1_command.png")
    save_png(phone.screenshot(), folder / "2_cards.png")
    save_png(np.random.default_rng(0).integers(0, 256, (400, 700, 3), dtype=np.uint8), folder / "3_noise.png")
    return {"area": area.area}


def _inside(key: str, x: int, y: int, area: tuple[int, int, int, int]) -> bool:
    fx, fy = layout.screen_to_frac(x, y, area)
    return layout.element(key).contains(fx, fy)


def test_folder_dry_run_prints_the_planned_taps(tmp_path, capsys):
    screens = _screens(tmp_path)
    assert main(["pilot", "--client", "folder", "--folder", str(tmp_path), "--agent", "greedy_features"]) == 0
    printed = capsys.readouterr().out
    rows = {line.split(" | ")[0]: line for line in printed.splitlines()[1:]}
    assert set(rows) == {"1_command.png", "2_cards.png", "3_noise.png"}
    assert "unknown" in rows["3_noise.png"]
    assert "command" in rows["1_command.png"] and "cards" in rows["2_cards.png"]
    # every planned tap: a layout key and device pixels inside that element of the phone's game area
    import re

    for name in ("1_command.png", "2_cards.png"):
        taps = re.findall(r"([a-z]+\d?/[a-z]+\d?) \((\d+), (\d+)\)", rows[name])
        assert taps, rows[name]
        for key, x, y in taps:
            assert _inside(key, int(x), int(y), screens["area"]), (key, x, y)
    assert len(re.findall(r"(card\d/face|np\d/card)", rows["2_cards.png"])) == 3


def test_folder_dry_run_says_an_unreadable_image_and_reads_on(tmp_path, capsys):
    _screens(tmp_path)
    (tmp_path / "0_cut.png").write_bytes((tmp_path / "1_command.png").read_bytes()[:100])
    assert main(["pilot", "--client", "folder", "--folder", str(tmp_path), "--agent", "greedy_features"]) == 0
    rows = {line.split(" | ")[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "unreadable" in rows["0_cut.png"] and "command" in rows["1_command.png"]


def test_folder_dry_run_of_no_readable_image_fails(tmp_path, capsys):
    """Every image unreadable: each is said on its line, then one error and exit 2 (a script
    checking the exit code took the exit 0 it gave before as a good run)."""
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "b.jpg").write_bytes(b"not a jpeg")
    assert main(["pilot", "--client", "folder", "--folder", str(tmp_path), "--agent", "greedy_features"]) == 2
    captured = capsys.readouterr()
    rows = {line.split(" | ")[0]: line for line in captured.out.splitlines()[1:]}
    assert "unreadable" in rows["a.png"] and "unreadable" in rows["b.jpg"]
    err = captured.err.strip()
    assert err.startswith("fgo: error: ") and "none of its 2 image(s) could be read" in err and "\n" not in err


def test_a_battle_given_up_on_is_stuck_not_done(tmp_path, capsys, monkeypatch):
    """A battle the pilot stops waiting on (no decision screen in --decision-timeout) did not run
    to its end: exit 1 and a line saying so (it was 0, 'won 0/1'); an episode ended before its
    first decision still leaves a readable recording."""
    from agents.pilot import pilot as P

    monkeypatch.setattr(P.Pilot, "_play", lambda self: "no decision screen for 2 s")
    out = tmp_path / "run"
    code = main(["pilot", "--agent", "greedy_features", "--client", "sim", "--look", "plain", "--episodes", "2",
                 "--decision-timeout", "2", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "2 of 2 battle(s) did not run to their end (no decision screen for 2 s)" in err
    assert "--decision-timeout 2 s may be shorter" in err
    assert [e.decisions for e in open_replay(out / "pilot.jsonl").episodes()] == [0, 0]


def test_ctrl_c_says_where_the_recording_is(tmp_path, capsys, monkeypatch):
    from agents.pilot import pilot as P

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(P.Pilot, "_play", interrupted)
    out = tmp_path / "run"
    assert main(["pilot", "--agent", "greedy_features", "--client", "sim", "--out", str(out), "--no-progress"]) == 130
    assert f"fgo: interrupted; recorded 1 episode(s) in {out / 'pilot.jsonl'}" in capsys.readouterr().err
    assert len(list(open_replay(out / "pilot.jsonl").episodes())) == 1


def test_a_folder_holding_a_recording_is_refused(tmp_path, capsys):
    """A battle on the real game cannot be played again: a second pilot into the same --out
    would have overwritten the first's pilot.jsonl; it is refused before the phone is touched."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "pilot.jsonl").write_text("the first pilot's battles")
    assert main(["pilot", "--agent", "greedy_features", "--client", "sim", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {out} holds a pilot recording (pilot.jsonl); give another folder" in err
    assert (out / "pilot.jsonl").read_text() == "the first pilot's battles"


@pytest.mark.parametrize("argv, message", [
    (["--client", "folder"], "--client folder needs --folder DIR"),
    (["--client", "folder", "--folder", "/no/such/folder"], "--folder /no/such/folder: no such folder"),
    (["--client", "folder", "--folder", __file__], "a file, not a folder"),
    (["--client", "sim", "--serial", "abc"], "--serial and --adb-port are for --client adb"),
    (["--client", "adb", "--faults", "some"], "--faults: for the simulated phone (--client sim), not --client adb"),
    (["--client", "folder", "--folder", ".", "--look", "plain"], "--look: for the simulated phone"),
    (["--client", "folder", "--folder", ".", "--episodes", "3"], "--episodes is for a phone"),
    (["--client", "folder", "--folder", ".", "--out", "r"], "--out is for a phone"),  # it was silently ignored
    (["--agent", "greedy"], "the pilot gives only what the screen shows"),
    (["--quest", "no_such_quest"], "no_such_quest"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(["pilot", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fgo: error: ") and message in err and "\n" not in err


def test_adb_no_device_is_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("adbutils")
    sys.path.insert(0, str(Path(__file__).parent))
    from fake_adb import FakeAdbServer

    with FakeAdbServer(serials=()) as server:
        argv = ["pilot", "--client", "adb", "--adb-port", str(server.port), "--out", str(tmp_path / "run")]
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2 and err.strip().startswith("fgo: error: no Android device attached") and "\n" not in err.strip()
        # no battle, no recording: nothing said on stdout, and the same --out is free for the next try
        assert "recorded" not in out and not (tmp_path / "run").exists()
        assert main(argv) == 2 and "holds a pilot recording" not in capsys.readouterr().err


def test_ctrl_c_before_the_first_battle_leaves_no_recording(tmp_path, capsys, monkeypatch):
    from agents.cli import pilot as cli

    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "_make_client", interrupted)
    out = tmp_path / "run"
    assert main(["pilot", "--agent", "greedy_features", "--client", "sim", "--out", str(out), "--no-progress"]) == 130
    assert "interrupted before a battle was recorded" in capsys.readouterr().err and not out.exists()


def test_adb_phone_that_takes_no_tap_ends_stuck_over_the_real_protocol(tmp_path, capsys):
    """A phone (the fake ADB server) showing a card screen that never reacts: the pilot decides,
    taps the first card through the ADB shell, sees nothing change, and stops (``--retries 0``)
    with one line, exit 1, the decision recorded and the last screenshot saved."""
    pytest.importorskip("adbutils")
    sys.path.insert(0, str(Path(__file__).parent))
    from fake_adb import FakeAdbServer

    folder = tmp_path / "screens"
    folder.mkdir()
    area = _screens(folder)["area"]
    from agents.pilot.folder import load_rgb

    with FakeAdbServer(load_rgb(folder / "2_cards.png")) as server:
        code = main(["pilot", "--client", "adb", "--adb-port", str(server.port), "--retries", "0",
                     "--out", str(tmp_path / "run"), "--decision-timeout", "10"])
        taps = [(x, y) for x, y, _ in server.taps]
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("fgo: error: stuck: play ") and "\n" not in err
    (episode,) = list(open_replay(tmp_path / "run" / "pilot.jsonl").episodes())
    assert episode.decisions == 1 and episode.outcome == "ongoing" and episode.taps[0] == list(taps[0])
    from agents.pilot.taps import plan_taps

    key = plan_taps(episode.actions[0])[0].key
    assert key.startswith(("card", "np")) and _inside(key, *taps[0], area)  # on the chain's first card
    assert list((tmp_path / "run").glob("pilot_last_screenshot_*.png"))
