"""Games played by goengine -> SGF files (through goengine.sgf's GameRecord/write_sgf)."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from goengine.atomic import atomic_write_text



def game_record(
    board,
    black: str = "",
    white: str = "",
    result: str = "",
    setup_black=(),
    setup_white=(),
    name: str = "",
    first_player: int | None = None,
):
    """A ``goengine.sgf.GameRecord`` of the moves on ``board`` (plus given setup stones)."""
    from goengine.sgf import GameRecord

    moves = [(int(c), int(p)) for c, p in board.history]
    if first_player is None:
        first_player = moves[0][0] if moves else int(board.to_play)
    return GameRecord(
        size=board.size,
        komi=float(board.komi),
        handicap=int(getattr(board, "handicap", 0) or 0),
        setup_black=[int(p) for p in setup_black],
        setup_white=[int(p) for p in setup_white],
        moves=moves,
        result=result,
        black_player=black,
        white_player=white,
        date=_dt.date.today().isoformat(),
        rules="Tromp-Taylor" if not getattr(board, "superko", False) else "Tromp-Taylor (positional superko)",
        name=name,
        first_player=first_player,
    )


def sgf_text(board, **kwargs) -> str:
    from goengine.sgf import write_sgf

    return write_sgf(game_record(board, **kwargs))


def save_sgf(path: str | os.PathLike, board, **kwargs) -> Path:
    """Write the game on ``board`` to ``path`` (parents created, written atomically)."""
    path = Path(path)
    atomic_write_text(path, sgf_text(board, **kwargs))
    return path


def timestamp() -> str:
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
