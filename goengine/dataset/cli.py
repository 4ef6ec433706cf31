"""``prepare``: the command-line door to the dataset builder."""

from __future__ import annotations

import json

import click

from goengine.dataset.prepare import prepare as run_prepare


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for shards and report.json.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256), help="Worker processes.")
@click.option("--max-games", default=None, type=click.IntRange(1), help="Stop after this many games.")
@click.option("--val-fraction", default=0.02, show_default=True, type=click.FloatRange(0.0, 1.0), help="Share of games held out for validation.")
@click.option("--size", default=19, show_default=True, type=click.IntRange(2, 25), help="Board size to keep; other sizes are skipped.")
def prepare(sources, out, workers, max_games, val_fraction, size):
    """Turn SGF SOURCES (folders, .sgf, .sgf.gz, collections, zip/tar archives) into training shards.

    Re-running with the same arguments after an interruption continues where the last
    checkpoint left off."""
    report = run_prepare(list(sources), out, workers=workers, max_games=max_games, val_fraction=val_fraction, size=size)
    click.echo(json.dumps(report, indent=2))
