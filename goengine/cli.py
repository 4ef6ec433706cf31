"""Command-line entry points.

``train_policy.py`` (prepare, train, evaluate) and ``play.py`` (human, selfplay, gtp,
analysis, match) are thin doors onto the groups defined here; the ``goengine`` console script
offers every command.  Each command lives beside the code it drives.
"""

from __future__ import annotations

import click

from goengine.dataset.cli import prepare
from goengine.nn.cli import evaluate, train
from goengine.play.cli import analysis, gtp, human, match, selfplay

LEARN_COMMANDS = (prepare, train, evaluate)
PLAY_COMMANDS = (human, selfplay, gtp, analysis, match)


def _group(name: str, help_text: str, commands) -> click.Group:
    group = click.Group(name=name, help=help_text)
    for command in commands:
        group.add_command(command)
    return group


train_cli = _group("train_policy.py", "Prepare SGF data, train the policy network, evaluate it.", LEARN_COMMANDS)
play_cli = _group("play.py", "Play with the policy network: terminal game, self-play, GTP engine, JSON analysis, matches.", PLAY_COMMANDS)
main = _group("goengine", "goengine: learn Go move patterns from game records and play with them.", LEARN_COMMANDS + PLAY_COMMANDS)
