"""``render_mode="ansi"``: the battle as text."""

from __future__ import annotations

from .engine import constants as C
from .engine.explain import hand_view, outcome_name, turn_summary

_TYPE = "ABQ"


def battle_text(env) -> str:
    rec, quest, cat = env.state[0], env.quest, env.catalogue
    lines = [f"{quest.name}  Battle {int(rec['wave']) + 1}/{int(rec['n_waves'])}  turn {int(rec['turn'])}"
             f"/{int(rec['max_turns'])}  stars {int(rec['stars'])}  [{outcome_name(rec)}]"]
    wave = quest.waves[min(int(rec["wave"]), len(quest.waves) - 1)]
    for e in range(C.N_ENEMIES):
        if e < len(wave) and rec["e_alive"][e]:
            en = cat.enemies[wave[e].enemy]
            mark = ">" if e == rec["target"] else " "
            charge = f"{int(rec['e_charge'][e])}/{int(rec['w_charge_max'][int(rec['wave']), e])}"
            lines.append(f" {mark}E{e + 1} {en.name:<22} {en.cls:<10} HP {max(rec['e_hp'][e], 0):>8.0f}"
                         f"  charge {charge}")
    for j in range(C.N_FRONT):
        m = int(rec["front"][j])
        if m < 0:
            lines.append(f"  S{j + 1} --")
            continue
        sv = cat.servants[quest.party[m]]
        cds = " ".join(str(int(x)) for x in rec["cd"][m])
        lines.append(f"  S{j + 1} {sv.name:<22} {sv.cls:<10} HP {rec['hp'][m]:>6.0f}/{rec['m_max_hp'][m]:<6.0f}"
                     f" NP {rec['np'][m] / 100:>5.1f}%  skills cd [{cds}]")
    if rec["phase"] == C.PHASE_CARDS:
        front = [int(x) for x in rec["front"]]
        cards = [f"{i + 1}:{_TYPE[t]}{front.index(m) + 1 if m in front else '?'}*{st}"
                 for i, (t, m, st) in enumerate(hand_view(rec))]
        lines.append("  cards " + "  ".join(cards))
    if int(rec["turns_played"]) > 0:
        s = turn_summary(rec)
        lines.append(f"  last turn: {s['chain']} chain{' + brave' if s['brave'] else ''}, "
                     f"{s['damage']:.0f} damage, {s['kills']} kills")
    return "\n".join(lines)
