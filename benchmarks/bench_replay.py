"""Replay speed: parse SGF + play every move under the rules, in moves per second on one core.

    python benchmarks/bench_replay.py ../shared/data/tygem-9d/tygem-9d-2011-01.tar.bz2 --games 3000

Three rows, all on the same games read into memory first (so archive decompression is
not timed): sgfmill's own parse-and-replay (the reference), goengine's parse alone, and
goengine's parse + whole-game replay (what `prepare` does per game), plus the
interactive ``Board.play`` path used by the engines.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from itertools import islice

import numpy as np
from sgfmill import boards, sgf

from goengine.board import Board, replay_stones
from goengine.coords import BLACK, WHITE
from goengine.sgf import Skip, iter_sgf_blobs, read_game


def sgfmill_replay(blobs) -> int:
    moves = 0
    for _, data in blobs:
        game = sgf.Sgf_game.from_bytes(data)
        board = boards.Board(game.get_size())
        for node in game.get_main_sequence():
            colour, move = node.get_move()
            if colour and move:
                board.play(move[0], move[1], colour)
            moves += colour is not None
    return moves


def records(blobs):
    """The games ``read_game`` accepts, parsed; the ones it skips are passed over."""
    for name, data in blobs:
        try:
            record = read_game(data, name)
        except Skip:
            continue
        yield record


def parse_only(blobs) -> int:
    return sum(len(record.moves) for record in records(blobs))


def parse_and_replay(blobs) -> int:
    moves = 0
    for record in records(blobs):
        colours = np.array([c for c, _ in record.moves], dtype=np.int8)
        points = np.array([p for _, p in record.moves], dtype=np.int16)
        setup = np.zeros(361, dtype=np.int8)
        setup[list(record.setup_black)] = BLACK
        setup[list(record.setup_white)] = WHITE
        moves += replay_stones(setup, colours, points, 19)[2]
    return moves


def board_play(blobs) -> int:
    moves = 0
    for record in records(blobs):
        board = Board(19)
        for colour, point in record.moves:
            board.play(point, colour)
            moves += 1
    return moves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("--games", type=int, default=3000)
    args = parser.parse_args()
    blobs = list(islice(iter_sgf_blobs([args.source], Counter()), args.games))
    parse_and_replay(blobs[:5])  # compile the kernels before timing
    print(f"{len(blobs)} games from {args.source}")
    print(f"{'path':42s} {'moves':>9s} {'seconds':>8s} {'moves/s':>10s}")
    for label, run in (
        ("sgfmill parse + sgfmill board (reference)", sgfmill_replay),
        ("goengine parse only", parse_only),
        ("goengine parse + replay (prepare path)", parse_and_replay),
        ("goengine parse + Board.play (engine path)", board_play),
    ):
        start = time.perf_counter()
        moves = run(blobs)
        seconds = time.perf_counter() - start
        print(f"{label:42s} {moves:9d} {seconds:8.2f} {moves / seconds:10.0f}")


if __name__ == "__main__":
    main()
