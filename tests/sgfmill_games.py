"""Real game records read by sgfmill alone, for the feature oracle's tests and the
feature benchmark: an independent path from the archive to ``(moves, setup)``, so that
neither depends on ``goengine.sgf`` being right.

The tests import it by name (pytest puts ``tests/`` on ``sys.path``);
``benchmarks/bench_features.py`` adds ``tests/`` to ``sys.path`` itself.
"""

from __future__ import annotations

import tarfile

from sgfmill import sgf

from goengine.coords import BLACK, WHITE


def archive_games(archive, count: int, size: int = 19, skip_unreadable: bool = False):
    """The first ``count`` ``size`` x ``size`` games of a tar archive of ``.sgf`` files,
    read as a stream, as ``(moves, setup_black, setup_white)`` for
    ``goengine.features.reference.replay``.

    Main line only.  A record sgfmill cannot parse raises its ValueError, or is passed
    over with ``skip_unreadable``.
    """

    def point(row, col):  # sgfmill counts rows from the bottom
        return (size - 1 - row) * size + col

    found = 0
    with tarfile.open(archive, "r|*") as tar:
        for member in tar:
            if found >= count:
                break
            if not member.isfile() or not member.name.endswith(".sgf"):
                continue
            try:
                game = sgf.Sgf_game.from_bytes(tar.extractfile(member).read())
            except ValueError:
                if skip_unreadable:
                    continue
                raise
            if game.get_size() != size:
                continue
            black, white, _ = game.get_root().get_setup_stones()
            moves = []
            for node in game.get_main_sequence():
                color, move = node.get_move()
                if color is not None:
                    moves.append((BLACK if color == "b" else WHITE, size * size if move is None else point(*move)))
            found += 1
            yield moves, [point(r, c) for r, c in black], [point(r, c) for r, c in white]
