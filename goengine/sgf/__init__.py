"""SGF game records in and out: reading (with named skip reasons), sources, writing.

``read_game`` turns one game's bytes into a :class:`GameRecord`; ``iter_sgf_blobs`` and
``iter_games`` stream games out of folders, collections and archives; ``write_sgf``
turns a record back into SGF text.
"""

from goengine.sgf.reader import GameRecord, Skip, parse_komi, read_game
from goengine.sgf.sources import GAME_LIMIT, iter_games, iter_sgf_blobs, split_games
from goengine.sgf.writer import write_sgf

__all__ = [
    "GAME_LIMIT",
    "GameRecord",
    "Skip",
    "iter_games",
    "iter_sgf_blobs",
    "parse_komi",
    "read_game",
    "split_games",
    "write_sgf",
]
