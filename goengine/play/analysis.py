"""KataGo's JSON analysis protocol on stdin/stdout (``play.py analysis``), for KaTrain and
other tools that drive KataGo's analysis engine.

One query per line in, one JSON answer per line out, matched by ``id``.  A query
gives a game (``moves``, optional ``initialStones``/``initialPlayer``, ``rules``,
``komi``, ``boardXSize``/``boardYSize``) and the positions to look at
(``analyzeTurns``, default: after the last move); each turn gets one answer::

    {"id": "q1", "isDuringSearch": false, "turnNumber": 2,
     "moveInfos": [{"move": "D4", "visits": 312, "winrate": 0.5, "scoreLead": 0.0, "prior": 0.312,
                    "order": 0, "pv": ["D4", "Q16", ...], ...}, ...],
     "rootInfo": {"winrate": 0.5, "scoreLead": 0.0, "visits": 980, "currentPlayer": "B", ...},
     "policy": [...]}                          # with "includePolicy": true

``policy`` has ``N*N + 1`` numbers: row-major from the top-left point (A19 on 19x19),
pass last, ``-1`` on illegal points (the network never proposes a pass: 0).  Values
are from the side ``reportAnalysisWinratesAs`` names (an ``overrideSettings`` entry;
BLACK by default, as in KataGo's example analysis config, and as KaTrain asks).

The numbers come from an analyzer (``goengine.engine.analysis``): ``analyzer_for(max_visits)``
builds one per query (``analyzers``).  With a network that has a value head (the shipped
one) that is a tree search of ``maxVisits`` playouts, with real visits and winrates; a
policy-only network has **no value estimate**, and then every winrate is 0.5.  Scores
are always 0: no head estimates them.

Errors never end the program; they are answered as KataGo answers them:
``{"error": "...", "field": "moves", "id": "q1"}`` for a bad query (an illegal move
says ``Illegal move N: ...``), ``{"error": "..."}`` without id for a line that is not
a JSON object, and ``{"warning": "...", "field": ..., "id": ...}`` before the answers
of a query that asked for what goengine does not have (``includeOwnership``,
``avoidMoves``, unknown fields).  Actions ``query_version``, ``clear_cache``,
``terminate`` and ``terminate_all`` are echoed back as KataGo does; queries are
answered in full, in order, before the next line is read, so there is never a search
left to terminate.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, TextIO

from goengine.board import Board, IllegalMove
from goengine.coords import BLACK, MAX_SIZE, MIN_SIZE, WHITE, from_gtp, to_gtp
from goengine.engine.agent import BoardSizeError, require_size
from goengine.engine.analysis import Analysis, Analyzer
from goengine.sgf import GameRecord

NEUTRAL_SCORE = 0.0  # the policy network has no score estimate either
DEFAULT_VISITS = 1000
DEFAULT_CANDIDATES = 10

# rule names KataGo accepts; the policy network plays the same under all of them
RULES = {"tromp-taylor", "chinese", "chinese-ogs", "chinese-kgs", "japanese", "korean", "stone-scoring",
         "aga", "bga", "new-zealand", "aga-button"}
# fields a query may carry that goengine reads, or accepts and has no use for
READ_FIELDS = {"id", "moves", "initialStones", "initialPlayer", "rules", "komi", "boardXSize", "boardYSize",
               "analyzeTurns", "maxVisits", "includePolicy", "overrideSettings", "includeOwnership", "avoidMoves",
               "allowMoves"}
IGNORED_FIELDS = {"priority", "priorities", "reportDuringSearchEvery", "includeMovesOwnership",
                  "includeOwnershipStdev", "includePVVisits", "rootPolicyTemperature", "rootFpuReductionMax",
                  "whiteHandicapBonus", "analysisPVLen"}
PERSPECTIVES = ("BLACK", "WHITE", "SIDETOMOVE")
_XY = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


class QueryError(ValueError):
    """A query KataGo would refuse; ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Query:
    id: str
    size: int
    komi: float
    initial_stones: list[tuple[int, int]]
    initial_player: int | None
    moves: list[tuple[int, int]]
    turns: list[int]
    max_visits: int
    include_policy: bool
    perspective: str = "BLACK"
    max_seconds: float | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (field, message)

    def record(self) -> GameRecord:
        first = self.initial_player or (self.moves[0][0] if self.moves else BLACK)
        return GameRecord(
            size=self.size, komi=self.komi, moves=list(self.moves), first_player=first,
            setup_black=[p for c, p in self.initial_stones if c == BLACK],
            setup_white=[p for c, p in self.initial_stones if c == WHITE],
        )


# --------------------------------------------------------------------------- reading queries


def parse_color(value, field_name: str) -> int:
    text = str(value).strip().upper() if isinstance(value, str) else ""
    if text in ("B", "BLACK"):
        return BLACK
    if text in ("W", "WHITE"):
        return WHITE
    raise QueryError(f"not a player: {value!r} (use \"B\" or \"W\")", field_name)


def parse_location(value, size: int, field_name: str) -> int:
    """``"D4"``, ``"pass"`` or KataGo's ``"(x,y)"`` (x from the left, y from the top)."""
    if not isinstance(value, str):
        raise QueryError(f"not a location: {value!r}", field_name)
    match = _XY.match(value.strip())
    if match:
        x, y = int(match.group(1)), int(match.group(2))
        if x < size and y < size:
            return y * size + x
    else:
        try:
            return from_gtp(value, size)
        except ValueError:
            pass
    raise QueryError(f"not a location on a {size}x{size} board: {value!r}", field_name)


def parse_moves(value, size: int, field_name: str) -> list[tuple[int, int]]:
    if not isinstance(value, list):
        raise QueryError(f"{field_name} must be a list of [player, location] pairs", field_name)
    moves = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise QueryError(f"not a [player, location] pair: {item!r}", field_name)
        moves.append((parse_color(item[0], field_name), parse_location(item[1], size, field_name)))
    return moves


def _integer(data: dict, name: str, default=None) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise QueryError(f"{name} must be an integer" if name in data else f"{name} is required", name)
    return value


def _size(data: dict) -> int:
    width, height = _integer(data, "boardXSize"), _integer(data, "boardYSize")
    if width != height:
        raise QueryError(f"only square boards: boardXSize {width} and boardYSize {height} differ", "boardYSize")
    if not MIN_SIZE <= width <= MAX_SIZE:
        raise QueryError(f"board size must be from {MIN_SIZE} to {MAX_SIZE}, not {width}", "boardXSize")
    return width


def _komi(data: dict) -> float:
    value = data.get("komi", 7.5)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise QueryError(f"komi must be a number, not {value!r}", "komi")
    if abs(value) > 150 or (2 * value) != int(2 * value):
        raise QueryError(f"komi must be an integer or half-integer from -150 to 150, not {value!r}", "komi")
    return float(value)


def _rules(data: dict) -> None:
    if "rules" not in data:
        raise QueryError("rules is required (e.g. \"tromp-taylor\" or \"japanese\")", "rules")
    rules = data["rules"]
    if isinstance(rules, dict):
        return
    if not isinstance(rules, str) or rules.strip().lower() not in RULES:
        raise QueryError(f"unknown rules {rules!r}; known: {', '.join(sorted(RULES))}", "rules")


def _settings(data: dict) -> tuple[str, float | None]:
    """(perspective, max seconds) from overrideSettings; other settings are ignored."""
    settings = data.get("overrideSettings", {})
    if not isinstance(settings, dict):
        raise QueryError("overrideSettings must be a JSON object", "overrideSettings")
    perspective = str(settings.get("reportAnalysisWinratesAs", "BLACK")).upper()
    if perspective not in PERSPECTIVES:
        raise QueryError(f"reportAnalysisWinratesAs must be one of {', '.join(PERSPECTIVES)}", "overrideSettings")
    max_time = settings.get("maxTime")
    if max_time is not None and (isinstance(max_time, bool) or not isinstance(max_time, (int, float))
                                 or max_time <= 0):
        raise QueryError("maxTime must be a positive number of seconds", "overrideSettings")
    return perspective, (float(max_time) if max_time is not None else None)


def parse_query(data: dict, default_visits: int = DEFAULT_VISITS) -> Query:
    """A Query from a decoded JSON object; QueryError says which field is wrong."""
    if "id" not in data or not isinstance(data["id"], str):
        raise QueryError("id is required and must be a string", "id")
    size = _size(data)
    _rules(data)
    if "moves" not in data:
        raise QueryError("moves is required (an empty list for an empty board)", "moves")
    moves = parse_moves(data["moves"], size, "moves")
    stones = parse_moves(data.get("initialStones", []), size, "initialStones")
    if any(point == size * size for _, point in stones):
        raise QueryError("initialStones cannot hold a pass", "initialStones")
    if len({point for _, point in stones}) != len(stones):
        raise QueryError("two initialStones on one point", "initialStones")
    initial_player = parse_color(data["initialPlayer"], "initialPlayer") if "initialPlayer" in data else None
    turns = data.get("analyzeTurns", [len(moves)])
    if (not isinstance(turns, list) or not turns
            or any(isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= len(moves) for t in turns)):
        raise QueryError(f"analyzeTurns must be a non-empty list of turn numbers from 0 to {len(moves)}",
                         "analyzeTurns")
    max_visits = _integer(data, "maxVisits", default_visits)
    if max_visits < 1:
        raise QueryError("maxVisits must be at least 1", "maxVisits")
    include_policy = data.get("includePolicy", False)
    if not isinstance(include_policy, bool):
        raise QueryError("includePolicy must be true or false", "includePolicy")
    perspective, max_seconds = _settings(data)
    warnings: list[tuple[str, str]] = []
    if data.get("includeOwnership"):
        warnings.append(("includeOwnership", "goengine has no ownership estimate; answers carry no ownership"))
    for name in ("avoidMoves", "allowMoves"):
        if data.get(name):
            warnings.append((name, f"{name} is not supported by goengine and was ignored"))
    for name in sorted(set(data) - READ_FIELDS - IGNORED_FIELDS):
        warnings.append((name, f"unknown field {name!r} was ignored"))
    return Query(data["id"], size, _komi(data), stones, initial_player, moves, list(turns), max_visits,
                 include_policy, perspective, max_seconds, warnings)


# --------------------------------------------------------------------------- answering


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def policy_list(agent, board: Board, color: int) -> list[float]:
    """KataGo's ``policy``: the network's move probabilities row-major from the top-left,
    pass last (0: the network never proposes a pass), -1 on illegal points."""
    probabilities = agent.probabilities(board, color)
    legal = board.legal_mask(color)
    values = [_round(float(p)) if ok else -1.0 for p, ok in zip(probabilities, legal)]
    return values + [0.0]


class AnalysisEngine:
    """Answers analysis queries with ``agent`` (policy, board size) and analyzers built by
    ``analyzer_for(max_visits)``; see the module docstring."""

    def __init__(self, agent, analyzer_for: Callable[[int], Analyzer], default_visits: int = DEFAULT_VISITS,
                 candidates: int = DEFAULT_CANDIDATES, version: str = ""):
        self.agent = agent
        self.analyzer_for = analyzer_for
        self.default_visits = default_visits
        self.candidates = candidates
        self.version = version

    def handle_line(self, line: str) -> Iterator[dict]:
        """Every answer to one input line (nothing for a blank line); never raises."""
        if not line.strip():
            return
        try:
            data = json.loads(line)
        except ValueError as exc:
            yield {"error": f"could not parse JSON: {exc}"}
            return
        if not isinstance(data, dict):
            yield {"error": "a query must be a JSON object"}
            return
        ident = data.get("id")
        try:
            if "action" in data:
                yield self.action(data)
            else:
                yield from self.answer(parse_query(data, self.default_visits))
        except QueryError as exc:
            yield _error(ident, str(exc), exc.field)
        except Exception as exc:  # a bug must not end the session of the client
            yield _error(ident, f"internal error: {type(exc).__name__}: {exc}")

    def action(self, data: dict) -> dict:
        action = data["action"]
        if not isinstance(data.get("id"), str):
            raise QueryError("id is required and must be a string", "id")
        if action == "query_version":
            return {**data, "version": self.version, "git_hash": "<omitted>"}
        if action in ("clear_cache", "terminate", "terminate_all"):
            return dict(data)  # nothing is cached between queries, nothing runs while a line is read
        raise QueryError(f"unknown action {action!r}", "action")

    def answer(self, query: Query) -> Iterator[dict]:
        try:
            require_size(self.agent, query.size)
        except BoardSizeError as exc:
            raise QueryError(str(exc), "boardXSize") from None
        boards = replay(query)
        for name, message in query.warnings:
            yield {"id": query.id, "warning": message, "field": name}
        analyzer = self.analyzer_for(query.max_visits)
        for turn in query.turns:
            board = boards[turn]
            # the player of the next move in the record, else the side to move after the last one
            color = query.moves[turn][0] if 0 < turn < len(query.moves) else board.to_play
            deadline = None if query.max_seconds is None else time.monotonic() + query.max_seconds
            analysis = analyzer.analyze(board, color, self.candidates, deadline)
            yield self.turn_answer(query, turn, board, color, analysis)

    def turn_answer(self, query: Query, turn: int, board: Board, color: int, analysis: Analysis) -> dict:
        flip = (query.perspective == "BLACK" and color == WHITE) or (query.perspective == "WHITE" and color == BLACK)

        def winrate(value: float) -> float:
            return _round(1.0 - value if flip else value)

        def score(value: float) -> float:
            return (-value if flip else value) + 0.0  # + 0.0: no "-0.0"

        def vertex(point: int) -> str:
            return to_gtp(point, board.size)

        move_infos = [{
            "move": vertex(info.move),
            "visits": info.visits,
            "winrate": winrate(info.winrate),
            "lcb": winrate(info.winrate),
            "scoreLead": score(NEUTRAL_SCORE),
            "scoreMean": score(NEUTRAL_SCORE),
            "scoreStdev": 0.0,
            "utility": 0.0,
            "prior": _round(info.prior),
            "order": info.order,
            "pv": [vertex(point) for point in info.pv],
        } for info in analysis.moves]
        answer = {
            "id": query.id,
            "isDuringSearch": False,
            "turnNumber": turn,
            "moveInfos": move_infos,
            "rootInfo": {
                "winrate": winrate(analysis.root.winrate),
                "scoreLead": score(NEUTRAL_SCORE),
                "utility": 0.0,
                "visits": analysis.root.visits,
                "currentPlayer": "B" if color == BLACK else "W",
            },
        }
        if query.include_policy:
            answer["policy"] = policy_list(self.agent, board, color)
        return answer


def replay(query: Query) -> dict[int, Board]:
    """The board at each analysed turn; QueryError for setup stones without liberties or
    an illegal move (every turn is replayed before anything is answered)."""
    record = query.record()
    start = Board.from_record(record, moves=0)
    for _, point in query.initial_stones:
        if start.liberties(point) == 0:
            raise QueryError(f"the initial stone at {to_gtp(point, query.size)} has no liberties", "initialStones")
    boards = {}
    for turn in sorted(set(query.turns)):
        try:
            boards[turn] = Board.from_record(record, moves=turn)
        except IllegalMove as exc:
            color, point = query.moves[exc.move_number - 1]
            raise QueryError(f"Illegal move {exc.move_number}: {'BW'[color - 1]} {to_gtp(point, query.size)} "
                             f"({exc.reason})", "moves") from None
    return boards


def _error(ident, message: str, field_name: str | None = None) -> dict:
    answer: dict = {"error": message}
    if field_name is not None:
        answer["field"] = field_name
    if isinstance(ident, str):
        answer["id"] = ident
    return answer


def analyzers(agent) -> Callable[[int], Analyzer]:
    """One analyzer per query, its playouts capped by the query's ``maxVisits``
    (``goengine.engine.search.analyzer_for``: a tree search when the network has a value
    head or the agent searches; otherwise the policy alone, visits shared out by prior)."""
    from goengine.engine.search import analyzer_for

    return lambda max_visits: analyzer_for(agent, playouts=max_visits)


def serve(engine: AnalysisEngine, stdin: Iterable, stdout: TextIO) -> None:
    """Answer every line of ``stdin`` (text or bytes) until it ends; one JSON object per line out."""
    for raw in stdin:
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                answers: Iterable[dict] = [{"error": "a query must be UTF-8 text"}]
                line = None
        else:
            line = raw
        if line is not None:
            answers = engine.handle_line(line)
        for answer in answers:
            stdout.write(json.dumps(answer, separators=(",", ":")) + "\n")
            stdout.flush()


__all__ = ["AnalysisEngine", "Query", "QueryError", "parse_query", "analyzers", "policy_list", "serve"]
