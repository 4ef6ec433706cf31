"""A game's result (SGF ``RE``) -> who won and how: the target of a value network.

The SGF standard writes ``B+R``, ``W+12.5``, ``B+T`` (time), ``B+F`` (forfeit), ``0`` or
``Draw``, ``Void`` and ``?``.  Files in the wild add their own forms: ``B+Resign``,
``W+Time``, a bare ``B``, ``draw`` in any case, full-width characters, and Chinese,
Japanese or Korean results such as ``黑中盘胜``, ``白2目半勝ち`` or ``흑 불계승``.

:func:`read_result` names every outcome by a short, stable ``kind``: how a winner won
(``resignation``, ``score``, ``time``, ``forfeit``, ``winner only``) or why there is no
winner (``no result``, ``draw``, ``void``, ``unknown result``, ``unreadable result``).
Which of them may teach a value network is decided in one place, :func:`value_winner`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from goengine.coords import BLACK, WHITE, opponent

NO_WINNER = 0

# kinds of a result with a winner
WIN_KINDS = ("resignation", "score", "time", "forfeit", "winner only")
# kinds of a result without one
NO_WINNER_KINDS = ("no result", "draw", "void", "unknown result", "unreadable result")


@dataclass(frozen=True)
class Outcome:
    """What a result says: ``winner`` is BLACK, WHITE or NO_WINNER; ``kind`` one of
    WIN_KINDS (when there is a winner) or NO_WINNER_KINDS (when there is not)."""

    winner: int
    kind: str


_LETTERS = {"B": BLACK, "W": WHITE, "BLACK": BLACK, "WHITE": WHITE}
# what follows "B+" / "W+", by its first letters
_WIN_DETAILS = (("R", "resignation"), ("T", "time"), ("F", "forfeit"))
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORDS = re.compile(r"(B|W|BLACK|WHITE) ?(?:WINS|WON|WIN)(?: BY (.*))?")
_DRAWS = frozenset(("0", "DRAW", "JIGO", "和", "和棋", "ジゴ", "持碁", "무승부"))
_VOIDS = frozenset(("VOID", "NO RESULT", "UNFINISHED", "SUSPENDED", "无胜负", "無勝負", "打挂", "打掛"))
_UNKNOWN = frozenset(("?", "UNKNOWN"))
# East Asian results: a colour first, then a word for winning (or losing) and how
_EAST_COLOURS = {"黑": BLACK, "黒": BLACK, "흑": BLACK, "白": WHITE, "백": WHITE}
_EAST_WIN, _EAST_LOSS = "胜勝승", "负負패"
_EAST_HOW = ((("中盘", "中盤", "中押", "불계"), "resignation"), (("超时", "时间", "時間", "시간"), "time"))
_EAST_SCORE = re.compile(r"\d|目|子|집|半|반")


def read_result(text: str) -> Outcome:
    """The outcome an ``RE`` value states; never raises (odd text is ``unreadable result``)."""
    value = " ".join(unicodedata.normalize("NFKC", text or "").split()).upper()
    compact = value.replace(" ", "")
    if not compact:
        return Outcome(NO_WINNER, "no result")
    if compact in _DRAWS:
        return Outcome(NO_WINNER, "draw")
    if value in _VOIDS or compact in _VOIDS:
        return Outcome(NO_WINNER, "void")
    if compact in _UNKNOWN:
        return Outcome(NO_WINNER, "unknown result")
    colour, plus, detail = compact.partition("+")
    if colour in _LETTERS and (plus or colour == compact):
        return _win(_LETTERS[colour], detail)
    words = _WORDS.fullmatch(value)
    if words:
        return _win(_LETTERS[words[1]], (words[2] or "").replace(" ", ""))
    return _east_asian(compact)


def _win(winner: int, detail: str) -> Outcome:
    """How ``winner`` won, from the text after ``B+``: a score, a word, or nothing.
    A score of 0 is a draw."""
    number = _NUMBER.match(detail)
    if number:
        if float(number[0].replace(",", ".")) == 0:
            return Outcome(NO_WINNER, "draw")
        return Outcome(winner, "score")
    for prefix, kind in _WIN_DETAILS:
        if detail.startswith(prefix):
            return Outcome(winner, kind)
    return Outcome(winner, "winner only")


def _east_asian(compact: str) -> Outcome:
    """``黑中盘胜``, ``白胜3/4子``, ``黒2目半勝ち``, ``백시간승``, ``黑负`` ..."""
    colour = _EAST_COLOURS.get(compact[:1], NO_WINNER)
    wins = any(char in compact for char in _EAST_WIN)
    loses = any(char in compact for char in _EAST_LOSS)
    if colour == NO_WINNER or wins == loses:
        return Outcome(NO_WINNER, "unreadable result")
    winner = colour if wins else opponent(colour)
    for words, kind in _EAST_HOW:
        if any(word in compact for word in words):
            return Outcome(winner, kind)
    return Outcome(winner, "score" if _EAST_SCORE.search(compact) else "winner only")


def value_winner(outcome: Outcome) -> tuple[int, str | None]:
    """The winner a value network may learn from this game (NO_WINNER for none) and,
    when there is none, the named reason why not.

    Every result with a winner counts, time-outs and forfeits included: in the Tygem 9d
    games GNU Go's estimate of the final position agrees with the winner on time or by
    forfeit about as often as with the winner by resignation (docs/design.md has the
    numbers), so dropping them would lose 8% of the games for no cleaner label.
    """
    if outcome.winner == NO_WINNER:
        return NO_WINNER, outcome.kind
    return outcome.winner, None
