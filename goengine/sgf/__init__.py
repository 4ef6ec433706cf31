"""SGF game records in and out: reading (with named skip reasons), sources, writing.

``read_game`` turns one game's bytes into a :class:`GameRecord`; ``read_result`` says who
won it and how; ``iter_sgf_blobs`` and ``iter_games`` stream games out of folders,
collections and archives; ``write_sgf`` turns a record back into SGF text.
"""

from goengine.sgf.reader import GameRecord, Skip, parse_komi, read_game
from goengine.sgf.result import NO_WINNER, Outcome, read_result, value_winner
from goengine.sgf.sources import GAME_LIMIT, Damage, iter_games, iter_sgf_blobs, split_games
from goengine.sgf.writer import write_sgf

__all__ = [
    "GAME_LIMIT",
    "NO_WINNER",
    "Damage",
    "GameRecord",
    "Outcome",
    "Skip",
    "iter_games",
    "iter_sgf_blobs",
    "parse_komi",
    "read_game",
    "read_result",
    "split_games",
    "value_winner",
    "write_sgf",
]
