"""``match --jobs N``: match games played N at a time in worker processes.

A policy network uses one CPU core per game at most, and the opponent (GNU Go) is a
single-threaded process, so a machine with many cores plays a 40-game match N times
faster when N games run side by side.  Each worker is a fresh Python process (the
"spawn" start method: no torch state is inherited) that builds its own agent with
the factory it was given, starts its own opponent and referee engines, and plays the
games the parent hands it, one at a time.  The parent keeps the bookkeeping:

* results come back as :class:`~goengine.play.match.GameResult` and go into one
  :class:`~goengine.play.match.MatchSummary`, sorted by game number, so the report
  is the same as with one process;
* a worker that reports a failed opponent or referee stops the whole match, as in
  one process (:class:`~goengine.play.match.OpponentError` with the engine's stderr);
* a worker that dies (the engine under test crashed the process) loses the game it
  was playing, by forfeit, and a new worker takes over the remaining games;
* Ctrl-C stops every worker (they ignore SIGINT and stop on SIGTERM, killing their
  engines on the way out) and raises :class:`~goengine.play.match.MatchInterrupted`.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections import deque
from dataclasses import dataclass
from typing import Callable, TextIO

from goengine.coords import BLACK, opponent
from goengine.game import FORFEIT
from goengine.play.gtp_client import color_name
from goengine.play.match import (
    AGENT_FAILED,
    GameResult,
    GameSpec,
    MatchConfig,
    MatchError,
    MatchInterrupted,
    MatchPlayer,
    MatchSummary,
    OpponentError,
)

POLL_SECONDS = 0.5  # how often the parent looks for dead workers while it waits
STOP_SECONDS = 10.0  # how long a stopping worker may take before it is killed


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _worker(worker_id: int, agent_factory: Callable[[], object], config: MatchConfig,
            inbox, results) -> None:
    """A worker process: build the agent, start the engines, play what the inbox says."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    player = None
    try:
        try:
            player = MatchPlayer(agent_factory(), config)
        except OpponentError as exc:
            results.put(("opponent", worker_id, str(exc)))
            return
        except Exception as exc:  # the agent could not be built: nothing can be played
            results.put(("error", worker_id, f"worker {worker_id} cannot start: {type(exc).__name__}: {exc}"))
            return
        while (spec := inbox.get()) is not None:
            try:
                results.put(("done", worker_id, player.play(spec)))
            except OpponentError as exc:
                results.put(("opponent", worker_id, str(exc)))
                return
            except MatchError as exc:
                results.put(("error", worker_id, str(exc)))
                return
    finally:
        if player is not None:
            player.kill()


@dataclass
class _Worker:
    process: multiprocessing.Process
    inbox: object
    playing: GameSpec | None = None


def died_result(spec: GameSpec, exitcode: int | None) -> GameResult:
    """The loss of a game whose worker process died while playing it."""
    winner = opponent(spec.agent_color)
    return GameResult(
        game=spec.number,
        agent_color=color_name(spec.agent_color),
        result="B+F" if winner == BLACK else "W+F",
        winner=color_name(winner),
        agent_won=0.0,
        reason=f"{FORFEIT}: {AGENT_FAILED}: its worker process died (exit code {exitcode})",
        moves=0,
        area_score=0.0,
        opening=spec.opening.name if spec.opening else None,
    )


class _Pool:
    """The worker processes, the games not yet handed out, and the shared results queue."""

    def __init__(self, agent_factory, config: MatchConfig, specs: list[GameSpec]):
        self.context = multiprocessing.get_context("spawn")
        self.agent_factory = agent_factory
        self.config = config
        self.pending = deque(specs)
        self.results = self.context.Queue()
        self.workers: dict[int, _Worker] = {}
        self.next_id = 1

    def start_worker(self) -> None:
        inbox = self.context.Queue()
        worker_id = self.next_id
        self.next_id += 1
        process = self.context.Process(
            target=_worker, args=(worker_id, self.agent_factory, self.config, inbox, self.results),
            name=f"goengine-match-{worker_id}", daemon=True,
        )
        process.start()
        self.workers[worker_id] = _Worker(process, inbox)
        self.hand_out(worker_id)

    def hand_out(self, worker_id: int) -> None:
        """The next game to the worker, or None (stop) when every game is handed out."""
        worker = self.workers[worker_id]
        worker.playing = self.pending.popleft() if self.pending else None
        worker.inbox.put(worker.playing)

    def finished(self, worker_id: int) -> None:
        """The worker's game is done: give it the next one if it is still alive."""
        worker = self.workers.get(worker_id)
        if worker is None:
            return
        worker.playing = None
        if worker.process.is_alive():
            self.hand_out(worker_id)

    def next_message(self, timeout: float = POLL_SECONDS) -> tuple | None:
        try:
            return self.results.get(timeout=timeout)
        except queue.Empty:
            return None

    def dead_workers(self) -> list[int]:
        return [worker_id for worker_id, worker in self.workers.items() if not worker.process.is_alive()]

    def bury(self, worker_ids: list[int]) -> list[tuple[GameSpec, int | None]]:
        """The games the given dead workers still held; while games wait, a new worker
        replaces each (a worker told to stop is not replaced: nothing waits then)."""
        lost = []
        for worker_id in worker_ids:
            worker = self.workers.pop(worker_id)
            if worker.playing is not None:
                lost.append((worker.playing, worker.process.exitcode))
            if self.pending:
                self.start_worker()
        return lost

    def stop(self, force: bool) -> None:
        """Let idle workers finish (or, ``force``, terminate all), then reap them."""
        for worker in self.workers.values():
            if force and worker.process.is_alive():
                worker.process.terminate()  # SIGTERM: the worker kills its engines and exits
        for worker in self.workers.values():
            worker.process.join(timeout=STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self.workers.clear()


def play_in_workers(agent_factory, config: MatchConfig, specs: list[GameSpec], jobs: int,
                    summary: MatchSummary, progress: bool, log: TextIO) -> MatchSummary:
    """Play ``specs`` in ``jobs`` worker processes into ``summary`` (see the module docstring)."""
    from tqdm import tqdm

    pool = _Pool(agent_factory, config, specs)
    bar = tqdm(total=len(specs), desc="match", unit="game", disable=not progress, file=log)

    def handle(message: tuple) -> None:
        kind, worker_id, payload = message
        if kind == "opponent":
            raise OpponentError(payload, summary)
        if kind != "done":
            raise MatchError(payload, summary)
        summary.add(payload)
        bar.update(1)
        bar.set_postfix(W=summary.wins, L=summary.losses, D=summary.draws)
        pool.finished(worker_id)

    clean = False
    try:
        for _ in range(min(jobs, len(specs))):
            pool.start_worker()
        while summary.games < len(specs):
            message = pool.next_message()
            if message is not None:
                handle(message)
                continue
            dead = pool.dead_workers()
            if not dead:
                continue
            while (message := pool.next_message(timeout=0.1)) is not None:
                handle(message)  # what the dead workers sent before they died
            for spec, exitcode in pool.bury(dead):
                log.write(f"game {spec.number}: the worker process died (exit code {exitcode}); "
                          "counted as a loss\n")
                summary.add(died_result(spec, exitcode))
                bar.update(1)
        clean = True
    except KeyboardInterrupt:
        raise MatchInterrupted(f"interrupted after {summary.games} games", summary) from None
    finally:
        bar.close()
        pool.stop(force=not clean)
    return summary
