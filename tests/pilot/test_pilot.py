"""The pilot loop (`agents.pilot.pilot.Pilot`) on the simulated phone: whole battles from
screenshots and taps, with faults, and every way an episode can end badly (an illegal action, a
screen that never changes, a device that disconnects, another app's screen), each with a one-line
message and the recording of what was played kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents.pilot.client import DeviceError
from agents.pilot.folder import FolderClient
from agents.pilot.pilot import Pilot, PilotError, changed_share, check_agent
from agents.pilot.recording import PilotRecorder
from agents.pilot.sim_client import Faults, SimulatedClient
from agents.registry import make
from fgo_env.engine.actions import ATTACK, BACK, KIND_CARDS, action_kind
from fgo_env.env import FGOEnv
from fgo_env.features import FEATURES_SIZE, PHASE_CARDS, Features
from replays.io import open_replay

QUEST = "farming_3wave"


@pytest.fixture(scope="module")
def parser():
    from feature_models.parser import FrameParser

    return FrameParser(threads=1)


def _recorder(tmp_path, agent: str = "greedy_features") -> PilotRecorder:
    return PilotRecorder(tmp_path / "pilot.jsonl", FGOEnv(quest=QUEST, obs_mode="features"), agent=agent)


def _episodes(tmp_path):
    replay = open_replay(tmp_path / "pilot.jsonl")
    return replay.header, list(replay.episodes())


def test_plays_whole_battles_on_the_plain_phone_and_records_them(parser, tmp_path):
    client = SimulatedClient(QUEST, seed=0, look="plain", phone="none")
    results, seeds = [], []
    with _recorder(tmp_path) as recorder:
        pilot = Pilot(client, make("greedy_features"), parser, recorder=recorder)
        for seed in (0, 1):
            client.reset(seed)
            seeds.append(client.game_seed)
            result = pilot.play_episode()
            assert result.ended == "battle over" and result.outcome == client.outcome != "ongoing"
            assert result.actions == client.actions  # every decision became exactly that env action, once
            assert result.retaps == 0 and result.recoveries == 0  # a faultless phone takes every tap
            results.append(result)
    header, episodes = _episodes(tmp_path)
    assert header.source == "pilot" and header.agent == "greedy_features"
    for result, seed, ep in zip(results, seeds, episodes):
        assert ep.actions == result.actions and ep.outcome == result.outcome and ep.game_seed == seed
        assert ep.rewards == [0.0] * ep.decisions and ep.turns == sum(action_kind(a) == KIND_CARDS for a in ep.actions)
        assert len(ep.taps) == result.taps and len(ep.extra["tap_steps"]) == result.taps
        assert all(len(t) == 2 for t in ep.taps) and len(ep.agent_info) == ep.decisions
        # the frames are the decision screens, beside the replay
        assert len(ep.frames) == ep.decisions and all((tmp_path / f).is_file() for f in ep.frames)
        # on the plain look every read is right: parsed features == the true ones of that screen
        assert ep.features == ep.extra["true_features"]
        assert ep.extra["pilot"]["ended"] == "battle over"


def test_random_looks_and_phones(parser):
    client = SimulatedClient(QUEST, seed=2, look="random", phone="random")
    agent = make("greedy_features")
    pilot = Pilot(client, agent, parser)
    for seed in (2, 3):
        client.reset(seed)
        result = pilot.play_episode()
        assert result.ended == "battle over" and result.outcome == client.outcome != "ongoing"
        assert result.actions == client.actions
        assert 0 < result.loop_ms < 1000 and len(result.parse_ms) == len(result.plan_ms) == result.decisions


def test_faults_are_recovered_from(parser, tmp_path):
    """Dropped taps, late frames, taps off by a few pixels, notifications and "connection lost"
    dialogs, at rates far above a real phone's: the battles still end, none stuck."""
    faults = Faults(drop_tap=0.2, late_frame=0.3, tap_jitter_px=4, notification=0.05, connection_lost=0.08, seed=1)
    client = SimulatedClient(QUEST, seed=4, look="random", phone="random", faults=faults)
    retaps, struck = 0, set()
    with _recorder(tmp_path) as recorder:
        pilot = Pilot(client, make("greedy_features"), parser, recorder=recorder)
        for seed in (4, 6):
            client.reset(seed)
            result = pilot.play_episode()
            assert result.ended == "battle over" and result.outcome == client.outcome != "ongoing"
            # each decision played at most once; what the game got that the agent did not choose is
            # only chains of cards finished in another order (after a dialog, a late frame) and the
            # pilot's own Back off a card screen whose chosen cards were unsure
            assert len(client.actions) <= result.decisions + result.backs
            extra = [a for a in client.actions if a not in result.actions]
            assert all(action_kind(a) == KIND_CARDS or a == BACK for a in extra)
            assert client.actions.count(BACK) <= result.actions.count(BACK) + result.backs
            retaps += result.retaps
            struck |= {what for *_, what in client.tap_log}
    assert retaps > 0 and {"dropped", "connection_lost", "retry"} <= struck  # the faults did strike
    assert [e.outcome for e in _episodes(tmp_path)[1]] != ["ongoing"] * 2


class _IllegalOnCards:
    """An agent on features that plays Attack on the command screen and Attack again on the card
    screen, which offers only cards (and Back)."""

    name = "illegal_on_cards"
    obs_mode = "features"

    def reset(self, env) -> None:
        self.last_info = {}

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        assert observation.shape == (FEATURES_SIZE,)
        if Features.from_array(observation).phase != PHASE_CARDS:
            assert action_mask[ATTACK]
        return ATTACK


def test_an_illegal_action_stops_with_one_line_and_keeps_the_recording(parser, tmp_path):
    client = SimulatedClient(QUEST, seed=0, look="plain", phone="none")
    with _recorder(tmp_path, "illegal_on_cards") as recorder:
        pilot = Pilot(client, _IllegalOnCards(), parser, recorder=recorder, save_dir=tmp_path)
        with pytest.raises(PilotError, match=r"chose action 39 \(Attack\), which the card screen does not offer") \
                as err:
            pilot.play_episode()
    assert "\n" not in str(err.value) and list(tmp_path.glob("pilot_last_screenshot_*.png"))
    (ep,) = _episodes(tmp_path)[1]
    assert ep.actions == [ATTACK] and ep.outcome == "ongoing" and len(ep.frames) == 1
    assert ep.extra["pilot"]["ended"].startswith("error: agent 'illegal_on_cards' chose action 39")
    assert client.actions == [ATTACK]  # the Attack was played, the illegal action was not


class _Frozen(SimulatedClient):
    """A phone whose screen takes no tap (a frozen app)."""

    def tap(self, x: int, y: int) -> None:
        self.sleep(0.05)


def test_a_screen_that_never_changes_ends_stuck_with_the_last_screenshot(parser, tmp_path):
    client = _Frozen(QUEST, seed=0, look="plain", phone="none")
    with _recorder(tmp_path) as recorder:
        pilot = Pilot(client, make("greedy_features"), parser, recorder=recorder, max_retries=2)
        with pytest.raises(PilotError, match=r"^stuck: .+ did not .+ after 3 tries") as err:
            pilot.play_episode()
    message = str(err.value)
    assert "\n" not in message
    saved = message.split("last screenshot saved to ")[1].rstrip(")")
    assert saved.startswith(str(tmp_path)) and (tmp_path / saved.rsplit("/", 1)[1]).is_file()
    (ep,) = _episodes(tmp_path)[1]
    assert len(ep.actions) >= 3 and ep.outcome == "ongoing"
    assert client.actions == [] and pilot.result.taps == len(ep.taps) > 3 * 3


class _Unplugged(SimulatedClient):
    """A phone that disconnects after ``shots`` screenshots."""

    shots = 40

    def screenshot(self) -> np.ndarray:
        self.shots -= 1
        if self.shots < 0:
            raise DeviceError("device sim-0 disconnected (unplugged): check the cable, then 'adb devices'")
        return super().screenshot()


def test_a_device_that_disconnects_mid_battle_keeps_the_recording(parser, tmp_path):
    client = _Unplugged(QUEST, seed=0, look="plain", phone="none")
    with _recorder(tmp_path) as recorder:
        pilot = Pilot(client, make("greedy_features"), parser, recorder=recorder)
        with pytest.raises(DeviceError, match="disconnected"):
            pilot.play_episode()
    (ep,) = _episodes(tmp_path)[1]
    assert ep.decisions > 0 and ep.outcome == "ongoing" and ep.extra["pilot"]["ended"].startswith("error: device")
    assert ep.actions[:len(client.actions)] == client.actions


def test_another_apps_screen_is_no_battle(parser, tmp_path):
    rng = np.random.default_rng(0)
    from agents.pilot.recording import save_png

    save_png(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8), tmp_path / "other_app.png")
    pilot = Pilot(FolderClient(tmp_path), make("greedy_features"), parser, decision_timeout=5, save_dir=tmp_path)
    with pytest.raises(PilotError, match=r"no battle decision screen within 5 s: the screen reads as unknown"):
        pilot.play_episode()
    assert pilot.result.taps == 0


def test_agents_on_the_engines_state_are_refused():
    from agents.errors import UserError

    with pytest.raises(UserError, match="greedy_features"):
        check_agent(make("greedy"))
    check_agent(make("ppo_screen"))  # trained on features: fine


def test_changed_share_sees_a_region_change_and_ignores_small_noise():
    rng = np.random.default_rng(1)
    a = np.repeat(np.linspace(60, 200, 160)[None, :, None], 90, axis=0).repeat(3, axis=2).astype(np.uint8)
    noisy = np.clip(a.astype(int) + rng.integers(-12, 13, a.shape), 0, 255).astype(np.uint8)
    assert changed_share(a, noisy, (0, 0, 160, 90), 4) == 0.0  # capture noise averages out in a cell
    b = a.copy()
    b[:45, :80] = 0  # a button greyed out
    assert changed_share(a, b, (0, 0, 80, 45), 4) > 0.9 and changed_share(a, b, (80, 45, 80, 45), 4) == 0.0
    assert changed_share(a, a[:80], (0, 0, 10, 10), 4) == 1.0  # another size: changed


def test_the_recording_is_plain_json(parser, tmp_path):
    client = SimulatedClient(QUEST, seed=1, look="plain", phone="none")
    with _recorder(tmp_path) as recorder:
        Pilot(client, make("greedy_features"), parser, recorder=recorder).play_episode()
    lines = (tmp_path / "pilot.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["source"] == "pilot"
    episode = json.loads(lines[1])
    assert set(episode) >= {"frames", "taps", "features", "agent_info", "tap_steps", "pilot", "true_features"}


def test_a_pilots_recording_scores_the_parser_against_the_true_features(parser, tmp_path):
    """`fgo vision eval --replays` on a pilot's recording: the frames it decided on, scored against
    the simulated phone's true features (not against its own reads); a real phone's recording,
    without them, is refused with a one-line reason."""
    import json

    from agents.experiments.vision_replays import score_replay
    from replays.format import ReplayError

    client = SimulatedClient(QUEST, seed=3, look="plain", phone="none")
    with _recorder(tmp_path) as recorder:
        Pilot(client, make("greedy_features"), parser, recorder=recorder).play_episode()
    result = score_replay(tmp_path / "pilot.jsonl", parser)
    assert result["source"] == "pilot" and result["frames"] == len(client.actions) > 5
    assert result["fields"]["frame"]["acc"] == 1.0  # plain look: every read right
    lines = (tmp_path / "pilot.jsonl").read_text().splitlines()
    episode = json.loads(lines[1])
    episode.pop("true_features")
    (tmp_path / "phone.jsonl").write_text("\n".join([lines[0], json.dumps(episode)]) + "\n")
    for name in episode["frames"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    with pytest.raises(ReplayError, match="without true features"):
        score_replay(tmp_path / "phone.jsonl", parser)


class _SeesNP1:
    """A parser that misreads every card screen as offering front slot 0's NP card."""

    def __init__(self, parser):
        self.parser = parser

    def read(self, frame):
        from dataclasses import replace

        reading = self.parser.read(frame)
        f = reading.features
        if reading.confident and f.phase == PHASE_CARDS and not f.np_ready[0]:
            reading.features = replace(f, np_ready=[True, *f.np_ready[1:]])
        return reading


def test_an_np_card_misread_as_offered_is_found_absent_and_the_agent_decides_again(parser):
    """greedy_features plays an NP card first whenever one is offered; a tap on a missing NP card
    changes nothing, so the pilot decides again on the same hand without it, never stuck."""
    from fgo_env.engine.actions import card_slots

    client = SimulatedClient(QUEST, seed=4, look="plain", phone="none")
    result = Pilot(client, make("greedy_features"), _SeesNP1(parser)).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"
    tried = [a for a in result.actions if action_kind(a) == KIND_CARDS and 5 in card_slots(a)]
    missing = [a for a in tried if a not in client.actions]  # chains begun on the missing NP card
    assert missing and len(result.actions) == len(client.actions) + len(missing)  # the rest played once each


class _GreedyReordered:
    """greedy_features with its chains of cards in another order: ``reorder(slots)`` gives the new
    slots (None: the chain as it is), played when the screen offers that chain."""

    def __init__(self):
        self.inner = make("greedy_features")

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def reorder(self, slots):
        raise NotImplementedError

    def act(self, obs, mask):
        from fgo_env.engine.actions import CARDS_BASE, card_slots, triple_index

        a = int(self.inner.act(obs, mask))
        slots = self.reorder(tuple(card_slots(a))) if action_kind(a) == KIND_CARDS else None
        alt = CARDS_BASE + int(triple_index(*slots)) if slots is not None else a
        return alt if mask[alt] else a


class _NPSecond(_GreedyReordered):
    """greedy_features with the NP card it plays first moved second: a face card is chosen before
    the NP card is tapped."""

    def reorder(self, slots):
        first, second, third = slots
        return (second, first, third) if first >= 5 else None


def test_an_np_card_found_absent_after_a_face_card_takes_the_face_card_back(parser):
    """benchmarks/pilot.py's stuck battles 10093 and 10135 (fine-tuned weights): "play card 5, NP 1,
    card 4" with no NP card on the screen. Card 5 was chosen, the NP tap changed nothing, and the
    pilot tapped it until it gave up. Now the chosen card is tapped again (put back) and the agent
    decides again without the NP card: the battle ends, no chain played twice."""
    from fgo_env.engine.actions import card_slots

    client = SimulatedClient(QUEST, seed=1, look="plain", phone="none")
    result = Pilot(client, _NPSecond(), _SeesNP1(parser)).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"
    missing = [a for a in result.actions if action_kind(a) == KIND_CARDS and 5 in card_slots(a)
               and a not in client.actions]
    assert missing and all(card_slots(a)[0] < 5 for a in missing)  # begun on a face card
    assert len(result.actions) == len(client.actions) + len(missing)


@pytest.mark.parametrize("seed", [10188, 10194])
def test_the_phones_that_left_battles_stuck_are_read_in_the_right_area(parser, seed):
    """benchmarks/pilot.py's stuck battles: 10188 puts the game 3 px from the frame's edge beside
    421 px of blurred bar (the area was taken as centred, the command screen read as a wave-3 card
    screen); 10194 puts it between textured bars above and below, where the phone status bar's
    edge outscored the true boundary (wave read 3); with the weights of 2026-12-06's second
    shipping the command screen read there unsure (0.76) and its channel-swapped view as a card
    screen at 0.99, which the second look took before trying the other areas (now tried first).
    The first screen now reads right, in the phone's own game area."""
    client = SimulatedClient(QUEST, seed=seed, look="random", phone="random")
    truth = client.true_features()
    reading = parser.read(client.screenshot())
    assert max(abs(a - b) for a, b in zip(reading.area, client.phone.area)) <= 2, (reading.area, client.phone)
    assert (reading.features.phase, reading.features.wave) == (truth.phase, truth.wave)


class _LateCards(SimulatedClient):
    """A phone whose card screen shows 1.2 s late after every Attack (longer than the pilot's
    wait for a tap's effect)."""

    def tap(self, x: int, y: int) -> None:
        super().tap(x, y)
        if self.tap_log[-1][3] == "attack/button":
            self._stale_until = self._now + 1.2


class _FirstCardsUnsure:
    """A parser that reads the first card screen after each Attack without confidence (a frame
    of the card screen sliding in)."""

    def __init__(self, parser, client):
        self.parser, self.client, self.attacks = parser, client, 0

    def read(self, frame):
        reading = self.parser.read(frame)
        attacks = sum(t[3] == "attack/button" for t in self.client.tap_log)
        if reading.confident and reading.features.phase == PHASE_CARDS and attacks > self.attacks:
            self.attacks = attacks
            reading.unknown = "the card screen sliding in"
        return reading


@pytest.mark.parametrize("screen_changes", [True, False])
def test_a_late_card_screen_is_not_tapped_as_the_attack_button(parser, monkeypatch, screen_changes):
    """benchmarks/pilot.py's stuck battles 10078 and 10137 under faults: the card screen showed
    late after Attack, the next read was unsure, and Attack was tapped again: on the card screen
    that tap chose the card under the button, the agent's chain then took it back and the pilot
    counted it chosen. A screen changed since the tap now means the tap took: Attack is tapped
    once a turn, and the battle ends with every chain played as decided. Also where the card screen
    changes too little of the game area to count as another screen (seed 10175: only the Attack
    button's own region shows the tap took; here no screen change counts at all)."""
    if not screen_changes:
        monkeypatch.setattr(Pilot, "_changed", lambda self, a, b, area, share=0.0: False)
    client = _LateCards(QUEST, seed=0, look="plain", phone="none")
    result = Pilot(client, make("greedy_features"), _FirstCardsUnsure(parser, client)).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"
    landed = [t[3] for t in client.tap_log]
    assert landed.count("attack/button") == result.actions.count(ATTACK) > 0
    assert result.actions == client.actions and result.retaps == 0 and result.recoveries == 0


def test_a_screen_read_as_nothing_sure_in_the_wrong_area_is_read_in_another(parser):
    """benchmarks/pilot.py's lost battle 10080 (no faults): on wave 3 the game area was taken
    100 px too high (a blurred status bar above the game, a 4 px bar below), the command screen
    read as nothing sure (an animation at 0.36) and the pilot waited until it gave up. A frame
    read as nothing sure is now read again in the other areas the bars allow; the battle ends."""
    client = SimulatedClient(QUEST, seed=10080, look="random", phone="random")
    result = Pilot(client, make("greedy_features"), parser).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"


def test_an_animation_read_in_a_doubted_area_is_checked_elsewhere_above_the_unsure_line(parser, monkeypatch):
    """Battle 10080 again, with weights trained later (runs/vision23x5): they read that command
    screen, in the area the detector doubted, as an animation at 0.91, just over
    `AREA_LOOK_BELOW` (0.9), and the battle stalled. Such a read is now checked in the other areas
    up to `DOUBTED_OTHER_BELOW`. The shipped weights read 0.88, so the line is lowered here to
    0.85 to stand for them: the battle must end all the same."""
    import feature_models.parser as parser_module

    monkeypatch.setattr(parser_module, "AREA_LOOK_BELOW", 0.85)
    client = SimulatedClient(QUEST, seed=10080, look="random", phone="random")
    result = Pilot(client, make("greedy_features"), parser).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"


class _LateIntro(SimulatedClient):
    """A phone whose screenshots repeat the card screen's last sliding-in frame for 0.75 s, and
    which drops the first tap after each Attack."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.froze, self.drop_next = False, False

    def screenshot(self) -> np.ndarray:
        shown = self._showing()
        sliding = shown is not None and shown.scene is None and shown.amount < 0.5
        frame = super().screenshot()
        if sliding and not self.froze:
            self.froze, self._stale_until = True, self._now + 0.75
        return frame

    def tap(self, x: int, y: int) -> None:
        if self.drop_next:
            self.drop_next = False
            self.sleep(0.05)
            return self._log(x, y, "dropped")
        super().tap(x, y)
        if self.tap_log[-1][3] == "attack/button":
            self.froze, self.drop_next = False, True


def test_a_card_screen_still_sliding_in_is_not_decided_on(parser):
    """benchmarks/pilot.py's stuck battle 10009 under faults: a late frame repeated the card screen
    sliding in, two reads alike passed it for settled, the chain's first tap was dropped and the
    cards moving into place passed for its effect; the card counted chosen was never tapped again.
    A decision screen now has to read and look the same for ``settle_span`` (0.8 s)."""
    client = _LateIntro(QUEST, seed=0, look="plain", phone="none")
    result = Pilot(client, make("greedy_features"), parser).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"
    assert result.actions == client.actions and result.retaps > 0


class _Card5Chosen(SimulatedClient):
    """A phone where card 5 is chosen as the battle's first card screen comes, before the pilot
    reads it (as an Attack tapped again after a late card screen chooses the card under the button)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = True

    def screenshot(self) -> np.ndarray:
        if self.pending and self._showing() is None and self.taps.kind == "cards":
            from agents.pilot.client import AreaMap
            from fgo_env.screens import layout

            self.pending = False
            x, y = AreaMap(self.phone.area).to_device(*layout.element("card4/face").center)
            self._log(x, y, self._land(x, y))
        return super().screenshot()


class _Card5First(_GreedyReordered):
    """greedy_features, with card 5 first in every chain of cards it can play."""

    def reorder(self, slots):
        return None if 4 in slots else (4, slots[0], slots[1])


def test_a_chain_that_did_not_leave_the_card_screen_is_taken_back_with_back(parser):
    """benchmarks/pilot.py's stuck battle 10165 under faults (ppo_screen): Attack was tapped again
    after a late card screen and chose card 5; the agent's chain began with card 5, so its own tap
    took the card back, and with two cards chosen the card screen stayed. The pilot counted card 5
    chosen and tapped card 1 on and off until it gave up. Now a chain that does not leave the card
    screen is taken back with Back and the agent decides afresh on the same hand: the battle ends."""
    client = _Card5Chosen(QUEST, seed=0, look="plain", phone="none")
    result = Pilot(client, _Card5First(), parser).play_episode()
    assert result.ended == "battle over" and client.outcome != "ongoing"
    assert BACK in client.actions and result.backs == 1 and result.recoveries >= 1
    assert result.actions.count(ATTACK) == client.actions.count(ATTACK) >= 2  # Attack again after the Back


@pytest.mark.parametrize("kwargs, needle", [
    ({"max_retries": -1}, "max_retries must be a whole number >= 0"),
    ({"max_retries": 1.5}, "max_retries must be a whole number >= 0"),
    ({"decision_timeout": -1}, "decision_timeout must be a number of seconds >= 0"),
    ({"poll": float("nan")}, "poll must be a number of seconds >= 0"),
    ({"stall": "5"}, "stall must be a number of seconds >= 0"),
])
def test_pilot_limits_are_checked(kwargs, needle):
    from agents.pilot.pilot import Pilot
    from agents.pilot.sim_client import SimulatedClient
    from agents.registry import resolve

    with pytest.raises(ValueError, match=needle):
        Pilot(SimulatedClient("farming_3wave", seed=0), resolve("greedy_features"), parser=object(), **kwargs)


def test_the_simulated_phone_refuses_a_tap_off_its_screen_as_adb_does():
    from agents.pilot.sim_client import SimulatedClient

    phone = SimulatedClient("farming_3wave", seed=0)
    w, h = phone.size()
    for x, y in ((-1, -1), (w, 0), (10**9, 0)):
        with pytest.raises(ValueError, match=f"tap point \\({x}, {y}\\) is off the {w}x{h} screen"):
            phone.tap(x, y)


# --------------------------------------------------------------------------- bad parts, bad actions
class _NeverRead:
    """A parser stand-in for checks that fail before any read."""

    def read(self, frame):
        raise AssertionError("never read")


@pytest.mark.parametrize("client, parser, needle", [
    (None, _NeverRead(), r"^client must be a GameClient \(.*\), got None \(NoneType\)$"),
    ("phone", _NeverRead(), r"^client must be a GameClient .*got 'phone' \(str\)$"),
    ("sim", "weights/parser.npz", r"^parser must be a FrameParser \(e\.g\. FrameParser\(weights_path\)\) or None "
                                  r"for the shipped weights, got 'weights/parser\.npz' \(str\)$"),
])
def test_a_client_or_parser_of_the_wrong_kind_is_refused_at_once(client, parser, needle):
    client = SimulatedClient(QUEST, seed=0) if client == "sim" else client
    with pytest.raises(TypeError, match=needle):
        Pilot(client, make("greedy_features"), parser)


class _BadShots(FolderClient):
    """A folder whose screenshots come back as ``shot`` (a PIL image, a grey array ...)."""

    shot = None

    def screenshot(self):
        return self.shot


@pytest.mark.parametrize("shot, got", [
    (lambda: __import__("PIL.Image").Image.new("RGB", (64, 36)), "got Image"),
    (lambda: np.zeros((36, 64), np.uint8), r"got shape \(36, 64\), uint8"),
    (lambda: np.zeros((36, 64, 3), np.float32), r"got shape \(36, 64, 3\), float32"),
])
def test_a_screenshot_that_is_no_rgb_array_is_a_device_error(tmp_path, shot, got):
    from agents.pilot.recording import save_png

    save_png(np.zeros((36, 64, 3), np.uint8), tmp_path / "a.png")
    client = _BadShots(tmp_path)
    client.shot = shot()
    pilot = Pilot(client, make("greedy_features"), _NeverRead())
    needle = rf"^_BadShots\.screenshot\(\): expected an H×W×3 uint8 RGB screenshot, {got}$"
    with pytest.raises(DeviceError, match=needle):
        pilot.play_episode()


class _Returns:
    """An agent on features whose ``act`` returns ``value`` whatever the screen."""

    name = "returns"
    obs_mode = "features"

    def __init__(self, value):
        self.value = value

    def reset(self, env) -> None:
        self.last_info = {}

    def act(self, observation, action_mask):
        return self.value


_NOT_ACTIONS = [None, float("nan"), 3.7, 39.0, "5", np.array([39, 40]), np.array(39.0), True, np.float32(39)]


@pytest.mark.parametrize("value", _NOT_ACTIONS, ids=repr)
def test_an_action_that_is_no_integer_is_refused_naming_agent_and_value(value):
    from agents.pilot.pilot import _action_id

    with pytest.raises(PilotError, match=r"^agent 'returns' returned .+ \(.+\) from act\(\), not an action id "
                                         r"0-391 \(an int\)$"):
        _action_id(_Returns(value), value)


@pytest.mark.parametrize("value", [ATTACK, np.int64(ATTACK), np.array(ATTACK, np.int32)], ids=repr)
def test_integer_actions_of_any_kind_are_played(parser, value):
    from agents.pilot.pilot import plan_screen

    command = SimulatedClient(QUEST, seed=0, look="plain", phone="none").screenshot()
    plan = plan_screen(command, _Returns(value), parser)
    assert plan.action == ATTACK and type(plan.action) is int


def test_plan_screen_and_the_pilot_both_refuse_a_float_action(parser, tmp_path):
    client = SimulatedClient(QUEST, seed=0, look="plain", phone="none")
    needle = r"^agent 'returns' returned 3\.7 \(float\) from act\(\), not an action id 0-391"
    from agents.pilot.pilot import plan_screen

    with pytest.raises(PilotError, match=needle):
        plan_screen(client.screenshot(), _Returns(3.7), parser)
    with pytest.raises(PilotError, match=needle):
        Pilot(client, _Returns(3.7), parser, save_dir=tmp_path).play_episode()


# --------------------------------------------------------------------------- the saved last screenshot
def test_stops_in_the_same_second_save_apart(tmp_path, monkeypatch):
    import agents.pilot.pilot as pilot_module

    monkeypatch.setattr(pilot_module.time, "strftime", lambda fmt: "20250101_120000")
    pilot = Pilot(SimulatedClient(QUEST, seed=0), make("greedy_features"), _NeverRead(), save_dir=tmp_path)
    saved = []
    for value in (10, 20, 30):
        pilot.last_frame = np.full((36, 64, 3), value, np.uint8)
        saved.append(pilot._save_last())
    stem = tmp_path / "pilot_last_screenshot_20250101_120000"
    assert saved == [f"last screenshot saved to {stem}.png", f"last screenshot saved to {stem}-2.png",
                     f"last screenshot saved to {stem}-3.png"]
    from agents.pilot.folder import load_rgb

    files = [Path(s.rsplit(" ", 1)[1]) for s in saved]
    assert [int(load_rgb(f)[0, 0, 0]) for f in files] == [10, 20, 30]  # none overwritten


def test_no_screenshot_taken_claims_no_save(tmp_path):
    pilot = Pilot(SimulatedClient(QUEST, seed=0), make("greedy_features"), _NeverRead(), decision_timeout=0,
                  save_dir=tmp_path)
    with pytest.raises(PilotError, match=r"reads as nothing \(no screenshot was taken\); open a battle") as err:
        pilot.play_episode()
    assert "saved" not in str(err.value) and not list(tmp_path.iterdir())
