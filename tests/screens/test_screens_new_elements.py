"""The elements of issue 11 (craft essences, buff and debuff icons, break bars, command seals, the
Back button greyed): drawn inside their layout rectangles when the fields are set, nothing new
drawn when they are zero / -1 / empty; and `scene_from_state` reads them off a game record."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fgo_env.screens import Look, Renderer, Scene, layout
from fgo_env.screens.scene import EnemyView, ServantView


def _bare(kind: str, seed: int = 2) -> Scene:
    """An example scene with none of the new elements."""
    sc = Scene.example(kind, seed)
    servants = tuple(None if s is None else dataclasses.replace(s, ce=-1, buffs=()) for s in sc.servants)
    enemies = tuple(None if e is None else dataclasses.replace(e, breaks=0, breaks_left=0, buffs=())
                    for e in sc.enemies)
    return dataclasses.replace(sc, servants=servants, enemies=enemies, seals=0, back_active=True)


def _full_slots(sc: Scene) -> Scene:
    """Every servant and enemy slot filled, so each slot's elements can be checked."""
    sv = next(s for s in sc.servants if s is not None)
    en = next(e for e in sc.enemies if e is not None)
    return dataclasses.replace(sc, servants=(sv,) * 3, enemies=(en,) * 3)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(640, 360)


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=2)


def _inside(mask: np.ndarray, rects) -> bool:  # type: ignore[no-untyped-def]
    """Every changed pixel lies in one of ``rects`` (pygame Rects of the frame)."""
    allowed = np.zeros_like(mask)
    for r in rects:
        allowed[r.y: r.bottom, r.x: r.right] = True
    return bool(mask.any()) and not (mask & ~allowed).any()


def _touches(mask: np.ndarray, rect) -> bool:  # type: ignore[no-untyped-def]
    return bool(mask[rect.y: rect.bottom, rect.x: rect.right].any())


def test_craft_essences_under_the_portraits(renderer: Renderer) -> None:
    base = _full_slots(_bare("command"))
    frame = renderer.render(base)
    ce = dataclasses.replace(base, servants=tuple(dataclasses.replace(s, ce=4 + s_) for s_, s in
                                                   enumerate(base.servants)))
    diff = _changed(frame, renderer.render(ce))
    rects = [renderer.rect(f"servant{s}/ce") for s in range(3)]
    assert _inside(diff, rects) and all(_touches(diff, r) for r in rects)
    assert layout.servant_ce(0).y >= layout.servant_portrait(0).bottom  # under the portrait


def test_buff_icons_on_servants_and_enemies(renderer: Renderer) -> None:
    base = _full_slots(_bare("command"))
    frame = renderer.render(base)
    buffs = ((4, False), (20, True), (12, False))
    sc = dataclasses.replace(base, servants=tuple(dataclasses.replace(s, buffs=buffs) for s in base.servants),
                             enemies=tuple(dataclasses.replace(e, buffs=buffs[:2]) for e in base.enemies))
    diff = _changed(frame, renderer.render(sc))
    icons = [renderer.rect(f"servant{s}/buff{k}") for s in range(3) for k in range(3)]
    icons += [renderer.rect(f"enemy{e}/buff{k}") for e in range(3) for k in range(2)]
    assert _inside(diff, icons) and all(_touches(diff, r) for r in icons)
    # the debuff icon is red: its mean red channel exceeds its green and blue
    out = renderer.render(sc)
    r = renderer.rect("servant0/buff1")
    tile = out[r.y: r.bottom, r.x: r.right].reshape(-1, 3).astype(int).mean(0)
    assert tile[0] > tile[1] + 30 and tile[0] > tile[2] + 30


def test_buff_row_is_capped(renderer: Renderer) -> None:
    base = _full_slots(_bare("command"))
    many = tuple((4 + k % 8, k % 3 == 0) for k in range(layout.MAX_BUFF_ICONS + 4))
    sc = dataclasses.replace(base, servants=(dataclasses.replace(base.servants[0], buffs=many),) + base.servants[1:])
    diff = _changed(renderer.render(base), renderer.render(sc))
    assert _inside(diff, [renderer.rect("servant0/buffs")])


def test_break_bars(renderer: Renderer) -> None:
    base = _full_slots(_bare("command"))
    frame = renderer.render(base)
    sc = dataclasses.replace(base, enemies=tuple(dataclasses.replace(e, breaks=3, breaks_left=k)
                                                 for k, e in enumerate(base.enemies)))
    out = renderer.render(sc)
    diff = _changed(frame, out)
    pips = [renderer.rect(f"enemy{e}/break{k}") for e in range(3) for k in range(3)]
    assert _inside(diff, pips) and all(_touches(diff, r) for r in pips)
    lit = [[out[r.centery, r.centerx].astype(int).sum() for r in
            (renderer.rect(f"enemy{e}/break{k}") for k in range(3))] for e in range(3)]
    for e in range(3):  # pips still to break are bright, broken ones dark
        assert all((lit[e][k] > 400) == (k < e) for k in range(3)), lit
    two = dataclasses.replace(base, enemies=tuple(dataclasses.replace(e, breaks=1, breaks_left=1)
                                                  for e in base.enemies))
    diff = _changed(frame, renderer.render(two))
    assert _inside(diff, [renderer.rect(f"enemy{e}/break0") for e in range(3)])


def test_command_seals(renderer: Renderer) -> None:
    base = _bare("command")
    frame = renderer.render(base)
    for n in (1, 3):
        diff = _changed(frame, renderer.render(dataclasses.replace(base, seals=n)))
        marks = [renderer.rect(f"master/seal{k}") for k in range(n)]
        assert _inside(diff, marks) and all(_touches(diff, r) for r in marks)
    assert not _changed(renderer.render(_bare("cards")),
                        renderer.render(dataclasses.replace(_bare("cards"), seals=3))).any()  # command only


def test_back_button_greyed(renderer: Renderer) -> None:
    base = _bare("cards")
    active = renderer.render(base)
    greyed = renderer.render(dataclasses.replace(base, back_active=False))
    rect = renderer.rect("back/button")
    diff = _changed(active, greyed)
    assert _inside(diff, [rect])
    crop = lambda f: f[rect.y: rect.bottom, rect.x: rect.right].astype(int)  # noqa: E731
    assert crop(greyed).max() < crop(active).max()  # the white label is gone


def test_nothing_new_when_fields_are_unset() -> None:
    """The scene's defaults draw exactly what a scene without the new fields drew."""
    for kind in ("command", "cards", "chain", "enemy_turn"):
        sc = _bare(kind, 7)
        sv = ServantView("A", "saber", "k", 10, 10)
        en = EnemyView("B", "archer", "e", 10, 10)
        assert (sv.ce, sv.buffs, en.breaks, en.breaks_left, en.buffs) == (-1, (), 0, 0, ())
        defaults = dataclasses.replace(sc, seals=Scene(kind="command").seals,
                                       back_active=Scene(kind="command").back_active)
        look = Look.random(3)
        assert np.array_equal(Renderer(480, 270, look).render(sc), Renderer(480, 270, look).render(defaults))


def test_random_looks_still_render_the_new_elements() -> None:
    for seed in range(3):
        r = Renderer(640, 360, Look.random(seed))
        for kind in ("command", "cards", "chain"):
            frame = r.render(Scene.example(kind, seed))
            assert frame.shape == r.frame_shape


def test_invalid_new_fields_are_rejected() -> None:
    with pytest.raises(ValueError):
        Scene(kind="command", seals=4)
    with pytest.raises(ValueError):
        EnemyView("B", "archer", "e", 10, 10, breaks=1, breaks_left=2)
    with pytest.raises(ValueError):
        ServantView("A", "saber", "k", 10, 10, buffs=((-1, False),))


def test_scene_from_state_reads_the_new_fields() -> None:
    import gymnasium as gym

    import fgo_env  # noqa: F401
    from fgo_env.engine import constants as C
    from fgo_env.screens.from_state import scene_from_state

    env = gym.make("fgo_env/Battle-v1", quest="farming_3wave")
    env.reset(seed=1)
    u = env.unwrapped
    state = u.state.copy()
    rec = state[0]
    rec["seals"], rec["backs"] = 2, 0
    m = int(rec["front"][1])
    rec["m_ce"][m] = 7
    rec["buff_kind"][m, :3] = (C.ATK_UP, C.BURN, C.DEF_UP)
    rec["buff_turns"][m, :3] = (3, 2, 0)  # the third slot has run out
    rec["w_breaks"][0, 0], rec["e_breaks_left"][0] = 2, 1
    rec["e_buff_kind"][0, 0], rec["e_buff_turns"][0, 0] = C.DEF_DOWN, C.PERMANENT
    sc = scene_from_state(rec, u.quest, u.catalogue)
    assert sc.seals == 2 and sc.back_active
    assert sc.servants[1].ce == 7 and sc.servants[1].buffs == ((C.ATK_UP, False), (C.BURN, True))
    assert sc.enemies[0].breaks == 2 and sc.enemies[0].breaks_left == 1
    assert sc.enemies[0].buffs == ((C.DEF_DOWN, True),)
    rec["backs"] = 2
    assert not scene_from_state(rec, u.quest, u.catalogue).back_active
