"""Sources: folders, collections, compressed files and archives built in the test, then real dumps."""

import bz2
import gzip
import io
import itertools
import random
import re
import stat
import tarfile
import time
import tracemalloc
import zipfile
import zlib
from collections import Counter

import pytest
from sgfmill import sgf_grammar

from goengine.sgf import iter_games, iter_sgf_blobs, read_game, split_games
from goengine.sgf import sources

KNOWN_REASONS = {
    # reader
    "parse error", "not go", "bad board size", "non-square board", "bad setup",
    "setup stones after the root", "two moves in one node", "bad move", "no moves",
    # sources
    "not sgf", "unsafe archive member", "nested archive", "unreadable archive member",
    "truncated or corrupt", "unreadable file", "game too large",
}


def named(reason: str) -> bool:
    return reason in KNOWN_REASONS or re.fullmatch(r"board size \d+", reason) is not None


def sgf_game(player: str, moves: str = ";B[pd];W[dd];B[pp]") -> bytes:
    return f"(;GM[1]FF[4]CA[UTF-8]SZ[19]KM[6.5]PB[{player}]PW[w]{moves})".encode()


def players(blobs) -> list[str]:
    return [read_game(data, name).black_player for name, data in blobs]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# A collection that tries hard to fool a splitter: parentheses and escaped brackets in
# values, variations, junk between games, whitespace between '(' and ';'.
TRICKY_COLLECTION = (
    b"junk before (not a game) [nor this]\n"
    + sgf_game("one", ";B[pd]C[a (comment) with \\] and ( unbalanced];W[dd](;B[pp])(;B[dp]C[)])")
    + b"\n\n between games ) ] [ \n"
    + b"( \n ;GM[1]SZ[19]PB[two\\\\];B[aa];W[bb])"
    + sgf_game("three", ";B[cc]C[\\\\];W[dd]C[ends with backslash \\\\\\]])")
    + b"trailing junk"
)


# -- splitting --------------------------------------------------------------------------


def test_a_collection_splits_into_its_games():
    games = list(split_games(io.BytesIO(TRICKY_COLLECTION)))
    assert [read_game(game, "x").black_player for game in games] == ["one", "two\\", "three"]
    assert read_game(games[0], "x").moves[-1][1] == 15 * 19 + 15  # main line: B[pp]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64])
def test_splitting_does_not_depend_on_where_chunks_end(chunk_size):
    whole = list(split_games(io.BytesIO(TRICKY_COLLECTION)))
    assert list(split_games(io.BytesIO(TRICKY_COLLECTION), chunk_size=chunk_size)) == whole


def test_splitting_agrees_with_sgfmill_on_random_collections():
    pieces = [
        sgf_game("a"),
        sgf_game("b", ";B[pd]C[(((]"),
        sgf_game("c", r";B[pd]C[\\];W[dd]C[a \\\] ( b]"),
        b"(;SZ[19](;B[aa])(;B[bb](;W[cc])(;W[dd])))",
        b"( ;SZ[19];B[aa]N[x\\\n]C[\n)\n])",
    ]
    rng = random.Random(7)
    for _ in range(50):
        games = [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        data = b"".join(rng.choice([b"", b"\n", b" junk ] ) ", b"\r\n"]) + game for game in games)
        split = list(split_games(io.BytesIO(data), chunk_size=rng.randint(1, 40)))
        expected = [sgf_grammar.serialise_game_tree(tree) for tree in sgf_grammar.parse_sgf_collection(data)]
        assert [sgf_grammar.serialise_game_tree(sgf_grammar.parse_sgf_game(game)) for game in split] == expected
        assert split == games


def test_a_game_over_the_limit_is_reported_as_none():
    big = sgf_game("big", ";B[pd]C[" + "x" * 500 + "];W[dd]")
    data = sgf_game("a") + big + sgf_game("b")
    games = list(split_games(io.BytesIO(data), limit=300, chunk_size=64))
    assert games[1] is None
    assert [read_game(games[i], "x").black_player for i in (0, 2)] == ["a", "b"]


class EndlessComment(io.RawIOBase):
    """A stream holding one game with a comment of ``size`` bytes, made up as it is read,
    followed by a normal game."""

    def __init__(self, size: int):
        self.parts = iter([b"(;GM[1]SZ[19];B[pd]C["] + [b"x" * 65536] * (size // 65536) + [b"];W[dd])", sgf_game("after")])
        self.pending = b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.pending:
            self.pending = next(self.parts, b"")
            if not self.pending:
                return 0
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


def test_a_huge_game_is_skipped_in_bounded_memory():
    tracemalloc.start()
    try:
        games = list(split_games(io.BufferedReader(EndlessComment(64 * 1024 * 1024)), limit=1024 * 1024, chunk_size=256 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert games[0] is None and read_game(games[1], "x").black_player == "after"
    assert peak < 8 * 1024 * 1024  # a 64 MB game never sits in memory


def test_game_too_large_is_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "GAME_LIMIT", 200)
    path = tmp_path / "coll.sgf"
    path.write_bytes(sgf_game("a") + sgf_game("big", ";B[pd]C[" + "x" * 300 + "]") + sgf_game("b"))
    counter = Counter()
    blobs = list(iter_sgf_blobs(path, counter))
    assert [name for name, _ in blobs] == [f"{path}#1", f"{path}#3"]
    assert counter == {"game too large": 1}


def test_a_game_cut_off_by_the_end_of_the_file_is_a_parse_error(tmp_path):
    path = tmp_path / "cut.sgf"
    path.write_bytes(sgf_game("a") + b"(;GM[1]SZ[19];B[pd];W[dd]C[never ends")
    counter = Counter()
    assert [g.black_player for g in iter_games(path, counter=counter)] == ["a"]
    assert counter == {"parse error": 1}


def test_a_file_without_a_game_is_a_parse_error(tmp_path):
    (tmp_path / "empty.sgf").write_bytes(b"")
    (tmp_path / "text.sgf").write_bytes(b"this is not (an sgf) file")
    counter = Counter()
    assert list(iter_sgf_blobs(tmp_path, counter)) == []
    assert counter == {"parse error": 2}


# -- files and folders ---------------------------------------------------------------------


def test_single_games_keep_the_file_name_and_collections_number_their_games(tmp_path):
    (tmp_path / "one.sgf").write_bytes(sgf_game("one"))
    (tmp_path / "coll.sgf").write_bytes(sgf_game("a") + sgf_game("b") + sgf_game("c"))
    blobs = list(iter_sgf_blobs([tmp_path / "one.sgf", tmp_path / "coll.sgf"]))
    assert [name for name, _ in blobs] == [str(tmp_path / "one.sgf")] + [f"{tmp_path / 'coll.sgf'}#{i}" for i in (1, 2, 3)]
    assert players(blobs) == ["one", "a", "b", "c"]


def make_tar(path, members: dict[str, bytes], mode: str = "w", **options) -> None:
    with tarfile.open(path, mode, **options) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_a_folder_is_walked_recursively_in_sorted_order(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "b.sgf").write_bytes(sgf_game("b"))
    (tmp_path / "a.SGF").write_bytes(sgf_game("a"))
    (tmp_path / "notes.txt").write_text("not a game")
    (tmp_path / "sub" / "c.sgf.gz").write_bytes(gz(sgf_game("c1") + sgf_game("c2")))
    (tmp_path / "sub" / "d.sgf.bz2").write_bytes(bz2.compress(sgf_game("d")))
    (tmp_path / "sub" / "deeper" / "e.sgf").write_bytes(sgf_game("e"))
    make_tar(tmp_path / "sub" / "f.tar.gz", {"f/f.sgf": sgf_game("f")}, "w:gz")
    counter = Counter()
    blobs = list(iter_sgf_blobs(tmp_path, counter))
    assert players(blobs) == ["a", "b", "c1", "c2", "d", "e", "f"]
    assert blobs[-1][0] == f"{tmp_path / 'sub' / 'f.tar.gz'}!f/f.sgf"
    assert counter == {"not sgf": 1}


def test_a_path_string_and_a_list_of_paths_both_work(tmp_path):
    (tmp_path / "a.sgf").write_bytes(sgf_game("a"))
    assert players(iter_sgf_blobs(str(tmp_path / "a.sgf"))) == ["a"]
    assert players(iter_sgf_blobs([tmp_path, tmp_path / "a.sgf"])) == ["a", "a"]


def test_a_named_file_with_an_unusual_name_is_sniffed(tmp_path):
    (tmp_path / "games.txt").write_bytes(sgf_game("a") + sgf_game("b"))
    with zipfile.ZipFile(tmp_path / "download.bin", "w") as archive:
        archive.writestr("x.sgf", sgf_game("z"))
    assert players(iter_sgf_blobs([tmp_path / "games.txt", tmp_path / "download.bin"])) == ["a", "b", "z"]


def test_a_missing_source_fails_before_any_work(tmp_path):
    (tmp_path / "a.sgf").write_bytes(sgf_game("a"))
    missing = tmp_path / "no-such-dir"
    with pytest.raises(FileNotFoundError, match="no-such-dir"):
        iter_sgf_blobs([tmp_path / "a.sgf", missing])  # raised by the call itself, not on iteration
    with pytest.raises(FileNotFoundError):
        iter_games(missing)


# -- archives ---------------------------------------------------------------------------------

GOOD_MEMBERS = {
    "games/a.sgf": sgf_game("a"),
    "games/B.SGF": sgf_game("B"),
    "games/c.sgf.gz": gz(sgf_game("c")),
    "games/coll.sgf": sgf_game("x") + sgf_game("y") + sgf_game("z"),
}
EXPECTED_PLAYERS = ["a", "B", "c", "x", "y", "z"]


def tar_with_traps(path, mode):
    """A tar holding good games among members no reader should trust."""
    with tarfile.open(path, mode) as archive:
        directory = tarfile.TarInfo("games")
        directory.type = tarfile.DIRTYPE
        archive.addfile(directory)
        for name, data in GOOD_MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name in ("../evil.sgf", "/etc/abs.sgf", "games/../../up.sgf"):
            info = tarfile.TarInfo(name)
            info.size = len(sgf_game("evil"))
            archive.addfile(info, io.BytesIO(sgf_game("evil")))
        links = (("games/link.sgf", tarfile.SYMTYPE), ("games/hard.sgf", tarfile.LNKTYPE), ("games/dev.sgf", tarfile.CHRTYPE))
        for name, kind in links:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "../../etc/passwd"
            archive.addfile(info)
        for name, data in (("readme.txt", b"hello"), ("__MACOSX/games/._a.sgf", b"\0\5\26\7"), ("inner.zip", b"PK")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    "suffix, mode",
    [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.bz2", "w:bz2"), (".tbz2", "w:bz2"), (".tar.xz", "w:xz")],
)
def test_tar_archives_are_streamed_and_untrusted_members_counted(tmp_path, suffix, mode):
    path = tmp_path / f"games{suffix}"
    tar_with_traps(path, mode)
    counter = Counter()
    blobs = list(iter_sgf_blobs(path, counter))
    assert players(blobs) == EXPECTED_PLAYERS
    assert [name for name, _ in blobs][:2] == [f"{path}!games/a.sgf", f"{path}!games/B.SGF"]
    assert blobs[-1][0] == f"{path}!games/coll.sgf#3"
    assert counter == {"unsafe archive member": 6, "not sgf": 2, "nested archive": 1}


def test_zip_archives_and_untrusted_members(tmp_path):
    path = tmp_path / "games.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("games/", b"")
        for name, data in GOOD_MEMBERS.items():
            archive.writestr(name, data)
        for name in ("../evil.sgf", "/abs.sgf", "C:\\windows\\evil.sgf"):
            archive.writestr(name, sgf_game("evil"))
        link = zipfile.ZipInfo("games/link.sgf")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "../../etc/passwd")
        archive.writestr("readme.txt", "hello")
        archive.writestr("inner.tar.gz", b"")
    counter = Counter()
    blobs = list(iter_sgf_blobs(path, counter))
    assert players(blobs) == EXPECTED_PLAYERS
    assert blobs[0][0] == f"{path}!games/a.sgf"
    assert counter == {"unsafe archive member": 4, "not sgf": 1, "nested archive": 1}


def test_a_damaged_zip_member_does_not_stop_the_others(tmp_path):
    path = tmp_path / "games.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.sgf", sgf_game("a"))
        archive.writestr("b.sgf", sgf_game("bbbbbbbb"))
        archive.writestr("c.sgf", sgf_game("c"))
    data = path.read_bytes()
    path.write_bytes(data.replace(b"PB[bbbbbbbb]", b"PB[bbbbbbbX]"))  # CRC no longer matches
    counter = Counter()
    assert players(iter_sgf_blobs(path, counter)) == ["a", "c"]
    assert counter == {"truncated or corrupt": 1}


def test_encrypted_zip_members_are_counted(tmp_path):
    path = tmp_path / "games.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.sgf", sgf_game("a"))
        archive.writestr("secret.sgf", b"\0" * 40)
    data = bytearray(path.read_bytes())
    local = data.find(b"secret.sgf")  # name at offset 30 of the local header, 46 of the central one
    central = data.find(b"secret.sgf", local + 1)
    data[local - 30 + 6] |= 0x1  # "encrypted" flag bit
    data[central - 46 + 8] |= 0x1
    path.write_bytes(bytes(data))
    counter = Counter()
    assert players(iter_sgf_blobs(path, counter)) == ["a"]
    assert counter == {"unreadable archive member": 1}


def collection(count: int) -> bytes:
    return b"\n".join(sgf_game(f"p{i}", ";B[pd];W[dd];B[pp];W[dp]" * 20) for i in range(count))


def test_a_truncated_gz_keeps_the_games_before_the_damage_and_the_run_goes_on(tmp_path):
    data = gz(collection(200))
    (tmp_path / "a-cut.sgf.gz").write_bytes(data[: len(data) * 6 // 10])
    (tmp_path / "b-good.sgf").write_bytes(sgf_game("good"))
    counter = Counter()
    names = players(iter_sgf_blobs(tmp_path, counter))
    assert 20 < len(names) - 1 < 200 and names[: len(names) - 1] == [f"p{i}" for i in range(len(names) - 1)]
    assert names[-1] == "good"
    assert counter == {"truncated or corrupt": 1}


@pytest.mark.parametrize(
    "suffix, mode, options", [(".tar.bz2", "w:bz2", {"compresslevel": 1}), (".tar.gz", "w:gz", {}), (".tar", "w", {})]
)
def test_a_truncated_tar_keeps_the_games_before_the_damage(tmp_path, suffix, mode, options):
    # bz2 can only decode whole blocks: level 1 makes 100 kB blocks, so half the file holds some
    path = tmp_path / f"a{suffix}"
    make_tar(path, {f"g/{i:03}.sgf": sgf_game(f"p{i}", ";B[pd];W[dd]" * 50) for i in range(300)}, mode, **options)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    (tmp_path / "b.sgf").write_bytes(sgf_game("good"))
    counter = Counter()
    names = players(iter_sgf_blobs([path, tmp_path / "b.sgf"], counter))
    assert 50 < len(names) - 1 < 300 and names[-1] == "good"
    assert counter == {"truncated or corrupt": 1}


def test_damage_says_how_many_games_came_before_it(tmp_path):
    path = tmp_path / "a.tar.bz2"
    make_tar(path, {f"g/{i:03}.sgf": sgf_game(f"p{i}", ";B[pd];W[dd]" * 50) for i in range(300)}, "w:bz2",
             compresslevel=1)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    counter, damaged = Counter(), []
    names = players(iter_sgf_blobs(path, counter, damaged))
    assert damaged == [sources.Damage(str(path), len(names), damaged[0].error)] and 0 < len(names) < 300
    assert str(damaged[0]).startswith(f"{path}: truncated or corrupt after {len(names)} games (")


def test_a_compressed_tar_cut_at_a_member_boundary_is_not_taken_for_its_end(tmp_path):
    """tarfile reading a compressed stream by itself takes data that stops between two
    members for the end of the archive; the stream's missing end must count as damage."""
    whole = tmp_path / "whole.tar"
    make_tar(whole, {f"g/{i}.sgf": sgf_game(f"p{i}") for i in range(10)})
    data = whole.read_bytes()
    boundary = 5 * 1024  # each member is one header block and one data block
    with tarfile.open(fileobj=io.BytesIO(data[:boundary])) as partial:
        assert len(partial.getnames()) == 5
    squeezer = zlib.compressobj(wbits=31)  # gzip framing
    cut = squeezer.compress(data[:boundary]) + squeezer.flush(zlib.Z_SYNC_FLUSH)  # no final block, no trailer
    (tmp_path / "a.tar.gz").write_bytes(cut)
    counter, damaged = Counter(), []
    assert players(iter_sgf_blobs(tmp_path / "a.tar.gz", counter, damaged)) == [f"p{i}" for i in range(5)]
    assert counter == {"truncated or corrupt": 1}
    assert damaged[0].games_before_damage == 5


def test_a_truncated_zip_is_counted_and_the_run_goes_on(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.sgf", sgf_game("a"))
    path.write_bytes(path.read_bytes()[:-30])  # the central directory is at the end
    (tmp_path / "b.sgf").write_bytes(sgf_game("good"))
    counter = Counter()
    assert players(iter_sgf_blobs(tmp_path, counter)) == ["good"]
    assert counter == {"truncated or corrupt": 1}


def test_not_a_gzip_file_is_counted(tmp_path):
    (tmp_path / "a.sgf.gz").write_bytes(sgf_game("plain text"))
    counter = Counter()
    assert list(iter_sgf_blobs(tmp_path, counter)) == []
    assert counter == {"truncated or corrupt": 1}


def test_iter_games_counts_reasons_from_sources_and_reader(tmp_path):
    (tmp_path / "a.sgf").write_bytes(sgf_game("a") + b"(;GM[1]SZ[9];B[ee])" + b"(;SZ[19]PB[x])")
    (tmp_path / "b.txt").write_text("x")
    counter = Counter()
    assert [g.black_player for g in iter_games(tmp_path, counter=counter)] == ["a"]
    assert counter == {"board size 9": 1, "no moves": 1, "not sgf": 1}
    assert [g.size for g in iter_games(tmp_path, allowed_sizes=(9, 19))] == [19, 9]


# -- real data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_name",
    ["tygem-9d-2011-01.tar.bz2", "tygem-9d-2016-06.tar.gz", "tygem-9d-2016-07.zip", "tygem-9d-2015-05-collection.sgf.gz"],
)
def test_real_dumps_in_every_format(shared_data, file_name):
    path = shared_data / "tygem-9d" / file_name
    counter = Counter()
    games = list(itertools.islice(iter_games(path, counter=counter), 300))
    assert len(games) == 300 and not counter
    assert all(g.name.startswith(f"{path}!") or g.name.startswith(f"{path}#") for g in games)
    assert all(g.size == 19 and g.komi == 6.5 and len(g.moves) > 10 for g in games)
    assert len({g.fingerprint() for g in games}) > 295
    if file_name.endswith("collection.sgf.gz"):
        assert [g.name for g in games[:2]] == [f"{path}#1", f"{path}#2"]


def test_the_whole_wild_archive_reads_without_surprises(shared_data):
    counter = Counter()
    started = time.perf_counter()
    games = list(iter_games(shared_data / "wild" / "ai-games.tar.gz", counter=counter))
    elapsed = time.perf_counter() - started
    skipped_games = sum(n for reason, n in counter.items() if reason != "not sgf")
    assert all(named(reason) for reason in counter), counter
    assert len(games) >= 6000
    assert len(games) >= 0.97 * (len(games) + skipped_games), counter  # measured: 6243 read, 0 skipped
    assert all(isinstance(g.black_player, str) and isinstance(g.white_player, str) for g in games)
    assert sum(g.handicap >= 2 for g in games) >= 10  # Fox puts handicap stones after the root
    assert elapsed < 120
