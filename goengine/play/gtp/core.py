"""Core GTP commands (GTP 2, section 6.3) and GNU Go's common query extensions.

``final_score``        Tromp-Taylor area score of the position (every stone counts as
                       alive), e.g. ``B+3.5``, ``W+0.5``, ``0``.
``final_status_list``  with area scoring and no life-and-death reading, every stone is
                       reported ``alive``; ``dead`` and ``seki`` are empty lists.
``reg_genmove``        the move ``genmove`` would choose, not played.
``list_stones color``  the stones of that colour (GNU Go extension).
"""

from __future__ import annotations

from goengine.coords import EMPTY, MAX_SIZE, MIN_SIZE
from goengine.play.gtp.args import Color, Float, Int, Vertex, Word
from goengine.play.gtp.commands import HandlerGroup, command
from goengine.play.gtp.protocol import GtpFailure


class CoreCommands(HandlerGroup):
    @command("boardsize", Int("board size"))
    def boardsize(self, size: int) -> str:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise GtpFailure("unacceptable size")
        self.session.require_supported_size(size)
        self.session.new_game(size)
        return ""

    @command("clear_board")
    def clear_board(self) -> str:
        self.session.new_game()
        return ""

    @command("komi", Float("komi"))
    def komi(self, komi: float) -> str:
        self.session.komi = komi
        self.session.game.komi = komi
        return ""

    @command("play", Color(), Vertex())
    def play(self, color: int, point: int) -> str:
        self.session.play(color, point)
        return ""

    @command("genmove", Color())
    def genmove(self, color: int) -> str:
        with self.session.thinking(color) as deadline:
            move = self.session.choose_move(color, deadline=deadline)
        return self.session.commit(color, move)

    @command("reg_genmove", Color())
    def reg_genmove(self, color: int) -> str:
        move = self.session.choose_move(color)
        return self.session.move_text(move)

    @command("undo")
    def undo(self) -> str:
        try:
            self.session.undo()
        except IndexError:
            raise GtpFailure("cannot undo") from None
        return ""

    @command("showboard")
    def showboard(self) -> str:
        from goengine.render import render_board

        return "\n" + render_board(self.session.board, color=False)

    @command("final_score")
    def final_score(self) -> str:
        return self.session.board.result()

    @command("final_status_list", Word("status", ("alive", "dead", "seki")))
    def final_status_list(self, status: str) -> str:
        if status != "alive":
            return ""
        board, seen, chains = self.session.board, set(), []
        for point in range(board.size * board.size):
            if board.stones[point] != EMPTY and point not in seen:
                chain = board.chain(point)
                seen.update(chain)
                chains.append(" ".join(self.session.vertex(p) for p in chain))
        return "\n".join(chains)

    @command("list_stones", Color())
    def list_stones(self, color: int) -> str:
        stones = self.session.board.stones
        return " ".join(self.session.vertex(p) for p in range(self.session.size ** 2) if stones[p] == color)


__all__ = ["CoreCommands"]
