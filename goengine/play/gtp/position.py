"""Setting up positions: handicap stones and SGF files.

``place_free_handicap n``  GTP's fixed points as far as they go, then the policy's
                           favourite black points.
``loadsgf file [n]``       the position before move ``n`` (default: after the last move).
``printsgf [file]``        the game so far as SGF (to the file if one is named).
"""

from __future__ import annotations

from pathlib import Path

from goengine.coords import BLACK, EMPTY, MAX_SIZE, MIN_SIZE
from goengine.play.gtp.args import Int, Optional, Text, VertexList
from goengine.play.gtp.commands import HandlerGroup, command
from goengine.play.gtp.protocol import GtpFailure

MAX_FIXED_HANDICAP = 9


class PositionCommands(HandlerGroup):
    def _check_handicap(self, stones: int) -> None:
        game = self.session.game
        if game.move_number or game.setup_black or game.setup_white or self.session.board.stones.any():
            raise GtpFailure("board not empty")
        if stones < 2 or stones >= self.session.size ** 2:
            raise GtpFailure("invalid number of stones")

    def _place(self, points: list[int]) -> str:
        self.session.game.place_handicap(points)
        return " ".join(self.session.vertex(p) for p in points)

    @command("fixed_handicap", Int("number of stones"))
    def fixed_handicap(self, stones: int) -> str:
        from goengine.board import fixed_handicap_points

        self._check_handicap(stones)
        try:
            points = fixed_handicap_points(self.session.size, stones)
        except ValueError:
            raise GtpFailure("invalid number of stones") from None
        return self._place(points)

    @command("place_free_handicap", Int("number of stones"))
    def place_free_handicap(self, stones: int) -> str:
        from goengine.board import fixed_handicap_points

        self._check_handicap(stones)
        size = self.session.size
        points: list[int] = []
        for count in range(min(stones, MAX_FIXED_HANDICAP), 1, -1):
            try:
                points = fixed_handicap_points(size, count)
                break
            except ValueError:
                continue
        work = self.session.board.copy()
        if points:
            work.setup(black=points)
        agent = self.session.agent
        while len(points) < stones:
            empty = [p for p in range(size * size) if work.stones[p] == EMPTY]
            if hasattr(agent, "probabilities"):
                probs = agent.probabilities(work, BLACK)
                best = max(empty, key=lambda p: probs[p])
            else:
                best = empty[len(empty) // 2]
            points.append(int(best))
            work.setup(black=[best])
        return self._place(points)

    @command("set_free_handicap", VertexList())
    def set_free_handicap(self, points: list[int]) -> str:
        self._check_handicap(len(points))
        self._place(points)
        return ""

    @command("loadsgf", Text("file name"), Optional(Int("move number")))
    def loadsgf(self, path: str, move_number: int | None) -> str:
        from goengine.board import IllegalMove
        from goengine.game import Game
        from goengine.sgf import Skip, read_game

        try:
            data = Path(path).read_bytes()
        except OSError:
            raise GtpFailure("cannot load file") from None
        try:
            record = read_game(data, path, allowed_sizes=tuple(range(MIN_SIZE, MAX_SIZE + 1)))
        except Skip as exc:
            raise GtpFailure(f"cannot load file ({getattr(exc, 'reason', exc)})") from None
        self.session.require_supported_size(record.size)
        moves = None if move_number is None else max(0, move_number - 1)
        try:
            game = Game.from_record(record, moves=moves, superko=self.session.superko)
        except IllegalMove as exc:
            raise GtpFailure(f"cannot load file (illegal move {exc.move_number})") from None
        self.session.set_game(game)
        self.session.komi = float(record.komi)
        return ""

    @command("printsgf", Optional(Text("file name")))
    def printsgf(self, path: str | None) -> str:
        if path is None:
            return "\n" + self.session.game.sgf()
        try:
            self.session.game.save_sgf(path)
        except OSError as exc:
            raise GtpFailure(f"cannot write file ({exc.strerror or exc})") from None
        return ""


__all__ = ["PositionCommands"]
