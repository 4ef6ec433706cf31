"""``prepare``: the command-line door to the dataset builder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from goengine.coords import MAX_SIZE, MIN_SIZE
from goengine.dataset.prepare import prepare as run_prepare
from goengine.sgf import Damage


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for shards and report.json.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256), help="Worker processes.")
@click.option("--max-games", default=None, type=click.IntRange(1), help="Stop after this many games.")
@click.option("--val-fraction", default=0.02, show_default=True, type=click.FloatRange(0.0, 1.0), help="Share of games held out for validation.")
@click.option("--size", default=19, show_default=True, type=click.IntRange(MIN_SIZE, MAX_SIZE), help="Board size to keep; other sizes are skipped.")
def prepare(sources, out, workers, max_games, val_fraction, size):
    """Turn SGF SOURCES (folders, .sgf, .sgf.gz, collections, zip/tar archives) into training shards.

    Re-running with the same arguments after an interruption continues where the last
    checkpoint left off.  Exits with status 1 when no game could be used (the report is
    still printed and saved)."""
    report = run_prepare(list(sources), out, workers=workers, max_games=max_games, val_fraction=val_fraction, size=size)
    click.echo(json.dumps(report, indent=2))
    if report["games_used"] == 0:
        raise click.ClickException(why_no_game(report, Path(out) / "report.json"))


def why_no_game(report: dict, report_path: Path) -> str:
    """One line saying why a run used no game: the skip reasons, most frequent first,
    and where each damaged file stopped."""
    skipped = sorted(report["skipped"].items(), key=lambda item: (-item[1], item[0]))
    reasons = ", ".join(f"{count} {reason}" for reason, count in skipped) or "the sources hold no SGF game"
    damage = "".join(f"; {Damage(**fields)}" for fields in report["damaged_sources"])
    return f"no usable game ({reasons}{damage}); report: {report_path}"
