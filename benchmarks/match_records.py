"""Summarise refereed match games from their SGF records: wins, the 95% Wilson interval, Elo.

    python benchmarks/match_records.py data/matches/gnugo-level10-raw [more folders or .sgf files] [--json]

A match's JSON summary is printed when it finishes; this script gives the same numbers from
the SGF files alone, so games of several runs (or of a run stopped at a time limit) can be
counted together.  Our side is the player whose name (PB/PW) starts with ``--player``
(default "goengine"; in a match of goengine against itself, the agent's full name, e.g.
"goengine model"); the winner is read from RE with goengine's result parser.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from goengine.coords import BLACK, WHITE
from goengine.play.match import elo_difference, wilson_interval
from goengine.sgf import iter_games, read_result


def sgf_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(path.rglob("*.sgf")) if path.is_dir() else [path])
    return files


def summarise(files: list[Path], player: str = "goengine") -> dict:
    tally = Counter()
    for record in iter_games([str(f) for f in files]):
        ours = BLACK if record.black_player.startswith(player) and not record.white_player.startswith(player) else WHITE
        colour = "black" if ours == BLACK else "white"
        winner = read_result(record.result).winner
        outcome = "win" if winner == ours else "loss" if winner in (BLACK, WHITE) else "other"
        tally[outcome] += 1
        tally[f"{outcome} as {colour}"] += 1
        tally["by resignation" if record.result.upper().endswith("+R") else "by score"] += 1
    games = tally["win"] + tally["loss"]
    low, high = wilson_interval(tally["win"], games) if games else (0.0, 1.0)
    return {
        "games": games, "wins": tally["win"], "losses": tally["loss"], "without_winner": tally["other"],
        "win_rate": tally["win"] / games if games else None, "win_rate_ci95": [low, high],
        "elo": elo_difference(tally["win"] / games) if games else None,
        "elo_ci95": [elo_difference(low), elo_difference(high)],
        "by_colour": {c: {"wins": tally[f"win as {c}"], "losses": tally[f"loss as {c}"]} for c in ("black", "white")},
        "ended": {"resignation": tally["by resignation"], "score": tally["by score"]},
    }


def _elo(value: float | None) -> str:
    return "unbounded" if value is None or abs(value) > 2000 else f"{value:+.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--player", default="goengine", help="name (prefix) of our side in PB/PW")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = summarise(sgf_files(args.paths), args.player)
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    rate = summary["win_rate"]
    low, high = summary["win_rate_ci95"]
    print(f"{summary['wins']} wins / {summary['games']} games"
          + (f" = {rate:.1%} (95% interval {low:.1%}-{high:.1%}), Elo {_elo(summary['elo'])} "
             f"[{_elo(summary['elo_ci95'][0])}, {_elo(summary['elo_ci95'][1])}]" if rate is not None else ""))
    print(f"by colour: {summary['by_colour']}; ended by {summary['ended']}")


if __name__ == "__main__":
    main()
