"""Where SGF games come from: folders, files, collections and archives, all streamed.

Users point goengine at whatever they downloaded: a folder of ``.sgf`` files, one big
collection, a server's monthly ``.tar.bz2``.  :func:`iter_sgf_blobs` turns any mix of
those into a stream of ``(name, bytes)`` holding exactly one game each, without
unpacking anything to disk and with memory bounded by the size of one game:

- folders are walked recursively in sorted order (so runs are reproducible and an
  interrupted job can resume by counting games);
- ``.sgf`` files may hold many games; :func:`split_games` cuts them apart while reading,
  so a collection of any size is never held in memory whole;
- ``.sgf.gz``/``.sgf.bz2``/``.sgf.xz`` are decompressed on the fly;
- ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``/``.tbz2``, ``.tar.xz`` are read
  member by member (tar as a stream).

What cannot be read is counted in ``counter`` under a named reason and the run goes on:

``not sgf``                     a file or member whose name is not an SGF kind (macOS ``._`` files too)
``unsafe archive member``       absolute or ``..`` paths, links, devices inside an archive
``nested archive``              an archive inside an archive (not opened)
``unreadable archive member``   an encrypted zip member or one using an unsupported compression
``truncated or corrupt``        a damaged or truncated archive or compressed file; games read
                                before the damage are kept (a damaged zip member costs only
                                that member; damage in a tar, being a stream, ends the tar),
                                and a :class:`Damage` says how many there were
``unreadable file``             an SGF file the operating system would not let us read
``game too large``              one game over ``GAME_LIMIT`` bytes (a runaway file, not a record)
``parse error``                 an SGF file with no game in it
"""

from __future__ import annotations

import bz2
import errno
import gzip
import logging
import lzma
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from goengine.sgf.reader import GameRecord, Skip, read_game

log = logging.getLogger(__name__)

GAME_LIMIT = 4 * 1024 * 1024  # bytes; the longest real records are a few hundred kB
CHUNK_SIZE = 1024 * 1024

# name endings -> (container, compression); container is "sgf", "tar" or "zip"
_KINDS = (
    (".sgf", ("sgf", None)),
    (".sgf.gz", ("sgf", "gz")),
    (".sgf.bz2", ("sgf", "bz2")),
    (".sgf.xz", ("sgf", "xz")),
    (".zip", ("zip", None)),
    (".tar", ("tar", None)),
    (".tar.gz", ("tar", None)),
    (".tgz", ("tar", None)),
    (".tar.bz2", ("tar", None)),
    (".tbz2", ("tar", None)),
    (".tbz", ("tar", None)),
    (".tar.xz", ("tar", None)),
    (".txz", ("tar", None)),
)
_DECOMPRESSORS = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}  # each takes a file object
# how a compressed stream begins, for tar archives: their compression is read from the data,
# not the name, and decompressed here so that a truncated stream is an error (tarfile's own
# stream reader takes a stream cut at a member boundary for the archive's end)
_MAGIC = ((b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))
# what a damaged archive or compressed stream raises while being read
_DAMAGE = (OSError, EOFError, zlib.error, lzma.LZMAError, tarfile.TarError, zipfile.BadZipFile)
# ... and what says the file itself could not be opened (the archive may be fine)
_CANNOT_OPEN = (PermissionError, FileNotFoundError, IsADirectoryError)


@dataclass(frozen=True)
class Damage:
    """A file (or zip member) whose reading stopped at damage, and how many games it
    gave before that."""

    source: str
    games_before_damage: int
    error: str

    def __str__(self) -> str:
        count = self.games_before_damage
        games = f"{count} game{'' if count == 1 else 's'}"
        return f"{self.source}: truncated or corrupt after {games} ({self.error})"


def iter_games(sources, allowed_sizes=(19,), counter: Counter | None = None,
               damaged: list[Damage] | None = None) -> Iterator[GameRecord]:
    """Every readable game of every source, as :class:`GameRecord`.

    Games that cannot be used are counted in ``counter`` under their reason (see
    :mod:`goengine.sgf.reader` and this module); damaged files are also listed in
    ``damaged``.  A missing source raises FileNotFoundError at once, before anything is read.
    """
    counter = Counter() if counter is None else counter
    return _read_games(iter_sgf_blobs(sources, counter, damaged), allowed_sizes, counter)


def _read_games(blobs, allowed_sizes, counter: Counter) -> Iterator[GameRecord]:
    for name, data in blobs:
        try:
            yield read_game(data, name, allowed_sizes)
        except Skip as skip:
            counter[skip.reason] += 1


def iter_sgf_blobs(sources, counter: Counter | None = None,
                   damaged: list[Damage] | None = None) -> Iterator[tuple[str, bytes]]:
    """``(name, data)`` for every game in ``sources``, one game per blob.

    ``sources`` is a path or a list of paths (files or folders).  Names say where the
    game came from: ``file.sgf``, ``file.sgf#3`` (third game of a collection),
    ``month.zip!month/1.sgf``.  Checks that every source exists before reading any,
    so a typo fails fast instead of after an hour of work.  Whatever cannot be read is
    counted in ``counter``; each damaged file is also appended to ``damaged`` (and logged).
    """
    paths = _existing_paths(sources)
    counter = Counter() if counter is None else counter
    return _blobs(paths, counter, [] if damaged is None else damaged)


def _existing_paths(sources) -> list[Path]:
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    paths = [Path(source) for source in sources]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, "SGF source not found", str(path))
    return paths


def _blobs(paths: list[Path], counter: Counter, damaged: list[Damage]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        if path.is_dir():
            for file in _walk(path, counter):
                kind = _kind(file.name)
                if kind is None:
                    counter["not sgf"] += 1
                else:
                    yield from _file_blobs(file, kind, counter, damaged)
        else:
            yield from _file_blobs(path, _kind(path.name) or _sniff(path), counter, damaged)


def _walk(folder: Path, counter: Counter) -> Iterator[Path]:
    """Files under ``folder``, recursively, in sorted path order (reproducible runs).

    Symbolic links to folders are not followed (no cycles); links to files are read.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        log.warning("cannot read %s: %s", folder, error.strerror)
        counter["unreadable file"] += 1
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), counter)
        elif entry.is_file():
            yield Path(entry.path)


def _kind(name: str) -> tuple[str, str | None] | None:
    """(container, compression) from a file name, or None if it is not an SGF kind."""
    lower = name.lower()
    for ending, kind in _KINDS:
        if lower.endswith(ending):
            return kind
    return None


def _sniff(path: Path) -> tuple[str, str | None]:
    """The kind of a file named on the command line whose name says nothing: an archive
    if it parses as one, else SGF text (``games.txt`` holding a collection)."""
    if zipfile.is_zipfile(path):
        return "zip", None
    if tarfile.is_tarfile(path):
        return "tar", None
    return "sgf", None


def _file_blobs(path: Path, kind: tuple[str, str | None], counter: Counter,
                damaged: list[Damage]) -> Iterator[tuple[str, bytes]]:
    """Games of one file; damage is counted and ends this file only."""
    name = str(path)
    blobs = _container_blobs(path, name, kind, counter, damaged)
    yield from _until_damage(blobs, name, counter, damaged, plain_file=kind == ("sgf", None))


def _until_damage(blobs: Iterator[tuple[str, bytes]], source: str, counter: Counter, damaged: list[Damage],
                  plain_file: bool = False) -> Iterator[tuple[str, bytes]]:
    """The games of one source up to the damage that ends it, if any.  An error in a
    plain SGF file, or one that kept the file from opening, is counted as an ``unreadable
    file``; other damage as ``truncated or corrupt``, with the games read before it."""
    games = 0
    try:
        for blob in blobs:
            games += 1
            yield blob
    except _DAMAGE as error:
        if plain_file or isinstance(error, _CANNOT_OPEN):
            log.warning("%s: unreadable file (%s)", source, error)
            counter["unreadable file"] += 1
            return
        damage = Damage(source, games, str(error))
        log.warning("%s", damage)
        counter["truncated or corrupt"] += 1
        damaged.append(damage)


def _container_blobs(path: Path, name: str, kind: tuple[str, str | None], counter: Counter,
                     damaged: list[Damage]) -> Iterator[tuple[str, bytes]]:
    container, compression = kind
    if container == "zip":
        yield from _zip_blobs(path, name, counter, damaged)
    elif container == "tar":
        with open(path, "rb") as stream:
            data = _ShortReads(_decompressed(stream, _compression(stream)))
            with tarfile.open(fileobj=data, mode="r|") as archive:
                yield from _tar_blobs(archive, name, counter)
    else:
        with open(path, "rb") as stream:
            yield from _stream_blobs(_decompressed(stream, compression), name, counter)


def _decompressed(stream: BinaryIO, compression: str | None) -> BinaryIO:
    return stream if compression is None else _DECOMPRESSORS[compression](stream, "rb")


class _ShortReads:
    """A stream whose ``read`` returns what one read of the one below gives (``read1``),
    so that tarfile, which reads in 10 kB records, still gets every whole member before
    a damaged part of a compressed stream: a full-size read across the damage would
    raise and lose the data in front of it."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read1(size)


def _compression(stream: BinaryIO) -> str | None:
    """The compression a stream's first bytes announce (None: none); the stream is
    left at its start."""
    head = stream.read(6)
    stream.seek(0)
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


# -- archives -----------------------------------------------------------------------------------


def _tar_blobs(archive: tarfile.TarFile, name: str, counter: Counter) -> Iterator[tuple[str, bytes]]:
    """Members of a tar opened as a stream, in archive order."""
    while (member := archive.next()) is not None:
        # a streamed TarFile remembers every member it has seen; forget them so that
        # an archive with millions of members still reads in constant memory
        archive.members.clear()
        if member.isdir():
            continue
        if not member.isfile() or not _safe_member_path(member.name):
            counter["unsafe archive member"] += 1
            continue
        kind = _member_kind(member.name, counter)
        if kind is not None:
            stream = archive.extractfile(member)
            yield from _stream_blobs(_decompressed(stream, kind[1]), f"{name}!{member.name}", counter)


def _zip_blobs(path: Path, name: str, counter: Counter, damaged: list[Damage]) -> Iterator[tuple[str, bytes]]:
    """Members of a zip in directory order; a damaged member does not stop the others."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if not _regular_zip_member(info) or not _safe_member_path(info.filename):
                counter["unsafe archive member"] += 1
                continue
            kind = _member_kind(info.filename, counter)
            if kind is None:
                continue
            if info.flag_bits & 0x1 or info.compress_type not in _ZIP_METHODS:
                counter["unreadable archive member"] += 1
                continue
            member = f"{name}!{info.filename}"
            yield from _until_damage(_zip_member_blobs(archive, info, member, kind, counter), member, counter, damaged)


def _zip_member_blobs(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, kind: tuple[str, str | None],
                      counter: Counter) -> Iterator[tuple[str, bytes]]:
    with archive.open(info) as stream:
        yield from _stream_blobs(_decompressed(stream, kind[1]), member, counter)


_ZIP_METHODS = frozenset((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA))


def _regular_zip_member(info: zipfile.ZipInfo) -> bool:
    """False for symlinks, devices and the like (zip keeps Unix file types in external_attr)."""
    file_type = stat.S_IFMT(info.external_attr >> 16)
    return file_type in (0, stat.S_IFREG)


_DRIVE = re.compile(r"^[A-Za-z]:")


def _safe_member_path(member: str) -> bool:
    """A relative path that stays inside the archive: no ``/abs``, ``C:\\``, or ``..``."""
    path = member.replace("\\", "/")
    return not (path.startswith("/") or _DRIVE.match(path) or ".." in path.split("/"))


def _member_kind(member: str, counter: Counter) -> tuple[str, str | None] | None:
    """The kind of an archive member worth reading, counting the others."""
    base = member.replace("\\", "/").rsplit("/", 1)[-1]
    kind = None if base.startswith("._") or "__MACOSX/" in member else _kind(base)
    if kind is None:
        counter["not sgf"] += 1
    elif kind[0] != "sgf":
        counter["nested archive"] += 1
        return None
    return kind


# -- games in a byte stream ----------------------------------------------------------------------


def _stream_blobs(stream: BinaryIO, name: str, counter: Counter) -> Iterator[tuple[str, bytes]]:
    """Name the games of one SGF stream: ``name`` alone, or ``name#k`` in a collection.

    Holds one game back to know whether another follows, i.e. whether the stream is a
    collection at all.
    """
    held = None
    count = 0
    for game in split_games(stream, GAME_LIMIT):
        count += 1
        if held is not None:
            yield f"{name}#{count - 1}", held
        held = game
        if game is None:
            counter["game too large"] += 1
    if count == 0:
        counter["parse error"] += 1
    elif held is not None:
        yield (name if count == 1 else f"{name}#{count}"), held


# A game starts like sgfmill expects it to: '(' then ';' (whitespace allowed between).
_GAME_START = re.compile(rb"\(\s*;")
_PARTIAL_START = re.compile(rb"\(\s*\Z")
# Inside a game: everything up to the next parenthesis, skipping whole [values] (which may
# hold parentheses and escaped brackets).  Stops early at a value not yet complete.
_TREE_RUN = re.compile(rb"[^\[()]*(?:\[[^\\\]]*(?:\\.[^\\\]]*)*\][^\[()]*)*", re.DOTALL)
# The rest of a value whose '[' was already passed: stops at its ']' (or the buffer's end).
_VALUE_REST = re.compile(rb"[^\\\]]*(?:\\.[^\\\]]*)*", re.DOTALL)
_OPEN, _CLOSE, _BACKSLASH = ord("["), ord(")"), ord("\\")


def split_games(stream: BinaryIO, limit: int = GAME_LIMIT, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes | None]:
    """Each top-level game tree ``(;...)`` of an SGF byte stream, as bytes, while reading.

    Bracket- and escape-aware: parentheses inside property values (comments) and
    escaped ``\\]`` do not end a game.  Text between games is ignored.  A game longer
    than ``limit`` is skipped without being held in memory and reported as None; a game
    cut off by the end of the stream is yielded as it is (the reader will call it a
    parse error).  Memory stays below ``limit + chunk_size`` whatever the stream's size.
    """
    buf = bytearray()  # deleting from the front of a bytearray is cheap
    pos = 0  # next byte of buf to scan
    start = 0  # where the current game begins in buf
    depth = 0  # open parentheses of the current game; 0 between games
    in_value = False
    too_large = False
    # read1: whatever one read of the underlying stream gives, so that a damaged
    # compressed stream still delivers the games before the damage
    while chunk := stream.read1(chunk_size):
        keep = start if depth and not too_large else pos
        del buf[:keep]
        buf += chunk
        pos -= keep
        start -= keep
        while True:
            if depth == 0:
                match = _GAME_START.search(buf, pos)
                if match is None:
                    partial = _PARTIAL_START.search(buf, pos)
                    pos = partial.start() if partial else len(buf)
                    break
                start, pos, depth, too_large = match.start(), match.start() + 1, 1, False
            elif in_value:
                end = _VALUE_REST.match(buf, pos).end()
                if end == len(buf) or buf[end] == _BACKSLASH:  # value (or its escape) continues in the next chunk
                    pos = end
                    break
                pos, in_value = end + 1, False
            else:
                pos = _TREE_RUN.match(buf, pos).end()
                if pos == len(buf):
                    break
                char = buf[pos]
                pos += 1
                if char == _OPEN:
                    in_value = True
                elif char == _CLOSE:
                    depth -= 1
                    if depth == 0:
                        yield None if too_large or pos - start > limit else bytes(buf[start:pos])
                else:
                    depth += 1
        if depth and pos - start > limit:
            too_large = True
    if depth:
        yield None if too_large else bytes(buf[start:])
