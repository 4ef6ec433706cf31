"""The prepare job: SGF sources -> train/validation record shards + report.json.

Pipeline: the main process streams one SGF game at a time out of the sources
(``goengine.sgf.iter_sgf_blobs``), worker processes parse and replay each game under
the rules and turn its positions into records, and the main process drops
duplicates, splits by game and writes shards.

- The split is a function of the game's content (its move-sequence fingerprint), so it
  is the same whatever the order, the number of workers or an interruption; positions
  of one game never straddle train and validation.
- Every game that is not used, and every position that is not, is counted under a
  named reason in ``report.json``; so is every used game without a winner to learn a
  value from (it still teaches moves), and every way the used games ended.
- Work is committed in steps: every ``checkpoint_games`` games all buffered records are
  written as shards (atomically) and ``progress.json`` records how far the sources were
  read.  An interrupted run started again with the same arguments skips what was done;
  ``meta.json``, the file readers start from, is written only when the job completes, so a
  half-prepared folder never reads as a finished data set.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import islice
from multiprocessing import Pool
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from tqdm import tqdm

from goengine.atomic import atomic_write_text
from goengine.dataset.records import FORMAT_VERSION, pack_positions, record_dtype, write_shard
from goengine.dataset.replay import game_positions
from goengine.sgf import Damage, Skip, iter_sgf_blobs, read_game, read_result, value_winner

SHARD_POSITIONS = 1_000_000
FINGERPRINT_BYTES = 16


@dataclass
class PreparedGame:
    """What a worker sends back for one game: its records or why it was not used."""

    fingerprint: bytes = b""
    records: np.ndarray | None = None
    skipped: str | None = None  # reason the whole game was not used
    cut_at_illegal_move: bool = False
    skipped_positions: Counter = field(default_factory=Counter)
    result_kind: str = ""  # how the game ended (goengine.sgf.result kinds)
    no_winner: str | None = None  # why the game teaches no value, if it does not


def game_records(blob: tuple[str, bytes], size: int) -> PreparedGame:
    """Parse and replay one game; its positions as records (``game`` field left 0)."""
    name, data = blob
    try:
        record = read_game(data, name, allowed_sizes=(size,))
    except Skip as skip:
        return PreparedGame(skipped=skip.reason)
    positions = game_positions(record, size)
    outcome = read_result(record.result)
    winner, no_winner = value_winner(outcome)
    # a fixed-length digest of the game's content, for duplicates and the split
    result = PreparedGame(
        fingerprint=hashlib.blake2b(record.fingerprint(), digest_size=FINGERPRINT_BYTES).digest(),
        cut_at_illegal_move=positions.cut_at_illegal_move,
        skipped_positions=positions.dropped,
        result_kind=outcome.kind,
        no_winner=no_winner,
    )
    if len(positions) == 0:
        result.skipped = "illegal move" if positions.cut_at_illegal_move else "only passes"
        return result
    out = np.zeros(len(positions), dtype=record_dtype(size))
    pack_positions(out, positions.stones, positions.to_play, positions.ko, positions.recent)
    out["move"] = positions.move
    out["move_number"] = positions.move_number
    out["winner"] = winner
    result.records = out
    return result


def is_validation(fingerprint: bytes, val_fraction: float) -> bool:
    """Deterministic split by game content: the same game always lands on the same side."""
    bucket = int.from_bytes(hashlib.blake2b(fingerprint, digest_size=8).digest(), "little") % 1_000_000
    return bucket < val_fraction * 1_000_000


class ShardWriter:
    """Buffers records of one split and writes them as numbered shards."""

    def __init__(self, out: Path, split: str, size: int, names: list[str]):
        self.out, self.split, self.dtype = out, split, record_dtype(size)
        self.names = names  # shard file names written so far (shared with the progress file)
        self.buffer: list[np.ndarray] = []
        self.buffered = 0

    def add(self, records: np.ndarray) -> None:
        self.buffer.append(records)
        self.buffered += len(records)
        if self.buffered >= SHARD_POSITIONS:
            self.flush()

    def flush(self) -> None:
        if not self.buffered:
            return
        name = f"{self.split}-{len(self.names):05d}.npy"
        write_shard(self.out / name, np.concatenate(self.buffer))
        self.names.append(name)
        self.buffer, self.buffered = [], 0


def _write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _map(worker, items: Iterable, workers: int, chunk: int = 512) -> Iterator:
    """``map`` in this process for one worker, else over a process pool, order kept.

    The pool is fed ``chunk`` items at a time: ``Pool.imap`` would otherwise read the
    whole source ahead into memory."""
    if workers <= 1:
        yield from map(worker, items)
        return
    items = iter(items)
    with Pool(workers) as pool:
        while batch := list(islice(items, chunk)):
            yield from pool.imap(worker, batch, chunksize=16)


class _Worker:
    """Picklable callable for the pool: one blob -> PreparedGame."""

    def __init__(self, size: int):
        self.size = size

    def __call__(self, blob):
        return game_records(blob, self.size)


def prepare(
    sources: list[str | Path],
    out: str | Path,
    *,
    workers: int = 2,
    max_games: int | None = None,
    val_fraction: float = 0.02,
    size: int = 19,
    checkpoint_games: int = 20_000,
    progress: bool = True,
) -> dict:
    """Build a prepared data set in ``out``; returns the report (also saved as report.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    options = {"sources": [str(Path(s).resolve()) for s in sources], "max_games": max_games,
               "val_fraction": val_fraction, "size": size, "format_version": FORMAT_VERSION}
    state, seen = _load_progress(out, options)
    tally = {name: Counter(state[name]) for name in _TALLIES}
    counts, skipped = tally["counts"], tally["skipped"]
    writers = {split: ShardWriter(out, split, size, state["shards"][split]) for split in ("train", "val")}
    (out / "meta.json").unlink(missing_ok=True)

    # reasons found while reading the sources (unsafe members, damaged archives ...) are
    # counted afresh on every run, since a resumed run reads the sources from the start
    source_skipped: Counter = Counter()
    damaged: list[Damage] = []
    blobs = iter_sgf_blobs(sources, source_skipped, damaged)
    blobs_done = state["blobs_done"]
    for _ in range(blobs_done):  # resume: skip the games a previous run committed
        if next(blobs, None) is None:
            break
    if max_games is not None:
        blobs = islice(blobs, max(0, max_games - blobs_done))

    bar = tqdm(total=max_games, initial=blobs_done, unit="game", disable=not progress, desc="prepare")
    for result in _map(_Worker(size), blobs, workers):
        blobs_done += 1
        counts["games_read"] += 1
        if result.skipped is not None:
            skipped[result.skipped] += 1
        elif result.fingerprint in seen:
            skipped["duplicate"] += 1
        else:
            seen.add(result.fingerprint)
            _count_used_game(result, tally)
            split = "val" if is_validation(result.fingerprint, val_fraction) else "train"
            result.records["game"] = counts["games_used"]
            counts["games_used"] += 1
            counts[f"games_{split}"] += 1
            counts[f"positions_{split}"] += len(result.records)
            writers[split].add(result.records)
        bar.update()
        if blobs_done % checkpoint_games == 0:
            _checkpoint(out, options, blobs_done, writers, tally, seen)
    bar.close()
    for writer in writers.values():
        writer.flush()
    skipped.update(source_skipped)

    report = {
        "games_read": counts["games_read"] + sum(source_skipped.values()),
        "games_used": counts["games_used"],
        "games": {"train": counts["games_train"], "val": counts["games_val"]},
        "positions": counts["positions_train"] + counts["positions_val"],
        "positions_by_split": {"train": counts["positions_train"], "val": counts["positions_val"]},
        "skipped": dict(sorted(skipped.items())),
        "skipped_positions": dict(sorted(tally["skipped_positions"].items())),
        "games_cut_at_illegal_move": counts["games_cut_at_illegal_move"],
        "results": dict(sorted(tally["results"].items())),
        "games_with_winner": counts["games_used"] - sum(tally["no_winner"].values()),
        "games_without_winner": dict(sorted(tally["no_winner"].items())),
        "damaged_sources": [asdict(damage) for damage in damaged],
        "bytes_on_disk": sum((out / n).stat().st_size for split in writers.values() for n in split.names),
    }
    _write_json(out / "report.json", report)
    meta = {
        "format_version": FORMAT_VERSION,
        "board_size": size,
        "splits": {split: writer.names for split, writer in writers.items()},
        "positions": report["positions_by_split"],
        "sources": options["sources"],
    }
    _write_json(out / "meta.json", meta)
    (out / "progress.json").unlink(missing_ok=True)
    (out / "fingerprints.npy").unlink(missing_ok=True)
    return report


# the counters a run keeps, checkpoints and resumes
_TALLIES = ("counts", "skipped", "skipped_positions", "results", "no_winner")


def _count_used_game(game: PreparedGame, tally: dict[str, Counter]) -> None:
    """The per-game facts of a game that made it into the set (not of skipped ones)."""
    tally["skipped_positions"].update(game.skipped_positions)
    tally["counts"]["games_cut_at_illegal_move"] += game.cut_at_illegal_move
    tally["results"][game.result_kind] += 1
    if game.no_winner is not None:
        tally["no_winner"][game.no_winner] += 1


def _load_progress(out: Path, options: dict) -> tuple[dict, set[bytes]]:
    """The committed state of an interrupted run with the same options (else a fresh one)
    and the fingerprints of the games it used.  Shards that state does not name (written
    after its last checkpoint, or by a run with other options) are deleted."""
    state = {"blobs_done": 0, "shards": {"train": [], "val": []}, **{name: {} for name in _TALLIES}}
    seen: set[bytes] = set()
    try:
        saved = json.loads((out / "progress.json").read_text())
        if saved["options"] == options:
            digests = np.load(out / "fingerprints.npy", allow_pickle=False)
            seen = {row.tobytes() for row in digests}
            state = saved
    except (OSError, ValueError, KeyError):
        pass  # no usable progress: start from the beginning
    keep = set(state["shards"]["train"]) | set(state["shards"]["val"])
    for stale in [*out.glob("train-*.npy"), *out.glob("val-*.npy")]:
        if stale.name not in keep:
            stale.unlink()
    return state, seen


def _checkpoint(out, options, blobs_done, writers, tally, seen) -> None:
    """Flush every buffer to shards, then record how far the sources were read."""
    for writer in writers.values():
        writer.flush()
    digests = np.frombuffer(b"".join(sorted(seen)), dtype=np.uint8).reshape(-1, FINGERPRINT_BYTES)
    write_shard(out / "fingerprints.npy", digests)
    _write_json(out / "progress.json", {
        "options": options,
        "blobs_done": blobs_done,
        "shards": {split: writer.names for split, writer in writers.items()},
        **{name: dict(counter) for name, counter in tally.items()},
    })
