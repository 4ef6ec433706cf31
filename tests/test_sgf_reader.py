"""read_game: hand-made records for every edge case, a fuzz run, and real games against sgfmill."""

import itertools
import random

import pytest
from sgfmill import sgf

from goengine.coords import BLACK, WHITE, from_gtp, from_sgf
from goengine.sgf import GameRecord, Skip, parse_komi, read_game
from goengine.sgf.reader import choose_encoding


def game(text: str, **kwargs) -> GameRecord:
    return read_game(text.encode("utf-8"), "test.sgf", **kwargs)


def skip_reason(data: bytes | str, **kwargs) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    with pytest.raises(Skip) as caught:
        read_game(data, "test.sgf", **kwargs)
    return caught.value.reason


def test_a_plain_game_reads_every_field():
    record = game(
        "(;GM[1]FF[4]CA[UTF-8]SZ[19]KM[6.5]RU[Japanese]PB[Lee Sedol]PW[柯洁]DT[2016-03-09]RE[W+R]"
        ";B[pd];W[dp];B[pq]C[a comment];W[dd])"
    )
    assert record == GameRecord(
        size=19,
        komi=6.5,
        handicap=0,
        setup_black=[],
        setup_white=[],
        moves=[(BLACK, from_gtp("Q16", 19)), (WHITE, from_gtp("D4", 19)), (BLACK, from_gtp("Q3", 19)),
               (WHITE, from_gtp("D16", 19))],
        result="W+R",
        black_player="Lee Sedol",
        white_player="柯洁",
        date="2016-03-09",
        rules="Japanese",
        name="test.sgf",
        first_player=BLACK,
    )


def test_points_count_rows_from_the_top():
    record = game("(;SZ[19];B[aa];W[sa];B[as];W[ss];B[pd])")
    assert [point for _, point in record.moves] == [0, 18, 18 * 19, 19 * 19 - 1, 3 * 19 + 15]
    assert record.moves[-1][1] == from_sgf("pd", 19)


@pytest.mark.parametrize("value", ["", "tt", " tt "])
def test_pass_forms_on_19x19(value):
    record = game(f"(;SZ[19];B[pd];W[{value}];B[dd])")
    assert record.moves[1] == (WHITE, 361)


def test_tt_is_a_point_on_boards_over_19():
    record = game("(;SZ[21];B[tt];W[])", allowed_sizes=(21,))
    assert record.moves == [(BLACK, 19 * 21 + 19), (WHITE, 21 * 21)]


def test_missing_size_means_19():
    assert game("(;B[pd])").size == 19


def test_other_allowed_sizes_read():
    record = game("(;GM[1]SZ[9];B[ee];W[cc])", allowed_sizes=(9, 19))
    assert record.size == 9 and record.moves == [(BLACK, 40), (WHITE, 20)]


def test_handicap_stones_and_white_first():
    record = game("(;SZ[19]HA[2]AB[dp][pd];W[dd];B[pp])")
    assert record.handicap == 2
    assert record.setup_black == sorted([from_sgf("dp", 19), from_sgf("pd", 19)])
    assert record.setup_white == []
    assert record.first_player == WHITE


def test_compressed_point_lists_and_root_ae():
    record = game("(;SZ[19]AB[aa:cb]AW[dd]AE[bb];B[pd])")
    assert record.setup_black == [0, 1, 2, 19, 21]  # a1..c2 rectangle minus bb
    assert record.setup_white == [from_sgf("dd", 19)]


def test_setup_before_the_first_move_is_part_of_the_initial_position():
    # the Fox server writes handicap stones in the node after the root
    record = game("(;SZ[19]HA[2]KM[0];AB[pd][dp];W[qp];B[dd])")
    assert record.setup_black == sorted([from_sgf("pd", 19), from_sgf("dp", 19)])
    assert record.first_player == WHITE and record.handicap == 2
    assert len(record.moves) == 2
    later = game("(;SZ[19]AB[dd][pp];AW[dd]AE[pp];B[pd])")  # applied in order
    assert later.setup_black == [] and later.setup_white == [from_sgf("dd", 19)]


def test_empty_setup_list_means_no_stones():
    assert game("(;SZ[19]AB[];B[pd])").setup_black == []


def test_pl_decides_who_starts():
    assert game("(;SZ[19]PL[W]AB[dd][pp];B[pd])").first_player == WHITE
    assert game("(;SZ[19]PL[b];W[pd])").first_player == BLACK
    assert game("(;SZ[19]PL[x];W[pd])").first_player == WHITE  # unreadable PL: first move decides


def test_a_move_in_the_root_node_counts():
    assert game("(;SZ[19]B[pd];W[dd])").moves == [(BLACK, from_sgf("pd", 19)), (WHITE, from_sgf("dd", 19))]


def test_variations_keep_the_main_line():
    record = game("(;SZ[19];B[pd](;W[dd];B[pp](;W[dp])(;W[aa]))(;W[qq]))")
    colors = itertools.cycle((BLACK, WHITE))
    assert record.moves == [(next(colors), from_sgf(p, 19)) for p in ("pd", "dd", "pp", "dp")]


def test_escaped_brackets_in_comments_and_names():
    record = game(r"(;SZ[19]PB[a \] b \\ c]C[a comment with \] and ( and ) ];B[pd]C[\]];W[dd])")
    assert record.black_player == "a ] b \\ c"
    assert len(record.moves) == 2


def test_text_whitespace_is_collapsed():
    assert game("(;SZ[19]PB[  two\nlines  ]RE[B+R\t];B[pd])").black_player == "two lines"


def test_lower_case_letters_in_property_names_are_ignored():
    # ancient FF[1..3] files spell properties out (AddBlack = AB)
    record = game("(;SZ[19]AddBlack[dd];Black[pd];White[dp])")
    assert record.setup_black == [from_sgf("dd", 19)] and len(record.moves) == 2


# -- komi -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, komi",
    [
        (b"6.5", 6.5),
        (b" 7.5 ", 7.5),
        (b"0", 0.0),
        (b"-5.5", -5.5),
        (b"6,5", 6.5),
        (b"750", 7.5),  # Fox: hundredths
        (b"650", 6.5),
        (b"375", 7.5),  # Fox, Chinese rules: 3.75 stones
        (b"3.75", 7.5),  # Chinese komi in stones
        (b"2.75", 5.5),
        (b"", 0.0),
        (b"?", 0.0),
        (b"nan", 0.0),
        (b"inf", 0.0),
        (None, 0.0),
    ],
)
def test_komi_conventions(raw, komi):
    assert parse_komi(raw) == komi


def test_komi_reaches_the_record():
    assert game("(;SZ[19]KM[750];B[pd])").komi == 7.5
    assert game("(;SZ[19]KM[x];B[pd])").komi == 0.0


def test_bad_handicap_counts_as_none():
    assert game("(;SZ[19]HA[7.5];B[pd])").handicap == 0
    assert game("(;SZ[19]HA[-2];B[pd])").handicap == 0
    assert game("(;SZ[19]HA[ 3 ]AB[dd][pp][dp];W[pd])").handicap == 3


# -- encodings ------------------------------------------------------------------------------


def encoded(name: str, encoding: str, charset: str | None) -> bytes:
    ca = f"CA[{charset}]" if charset is not None else ""
    return f"(;GM[1]FF[4]{ca}SZ[19]PB[".encode("ascii") + name.encode(encoding) + b"]PW[x];B[pd];W[dd])"


@pytest.mark.parametrize(
    "name, encoding, charset",
    [
        ("李昌鎬", "big5", "Big5"),
        ("古力 vs 柯洁", "gb2312", "GB2312"),
        ("古力 vs 柯洁", "gb2312", "gb2312"),
        ("朱镕基", "gbk", "GB2312"),  # a GBK character in a file that says GB2312
        ("古力 vs 柯洁", "gb2312", None),  # no CA at all
        ("古力 vs 柯洁", "gb2312", "x-bogus"),  # a CA Python does not know
        ("古力 vs 柯洁", "gb2312", "hex"),  # a CA naming a bytes-to-bytes codec
        ("李世乭", "utf-8", "UTF-8"),
        ("李世乭", "utf-8", None),
        ("李世乭", "utf-8", "ISO-8859-1"),  # UTF-8 data under the SGF default charset
        ("Müller", "iso-8859-1", "ISO-8859-1"),
        ("Müller", "iso-8859-1", None),
        ("Müller", "iso-8859-1", "latin1"),
        ("이세돌", "euc-kr", "EUC-KR"),
        ("井山裕太", "shift_jis", "SHIFT_JIS"),
    ],
)
def test_player_names_decode_from_real_world_charsets(name, encoding, charset):
    record = read_game(encoded(name, encoding, charset), "x.sgf")
    assert record.black_player == name and record.white_player == "x"


def test_an_escaped_backslash_trail_byte_in_big5():
    # 許 is A7 5C in Big5: SGF writers must escape its second byte
    data = b"(;CA[Big5]SZ[19]PB[" + "許".encode("big5").replace(b"\\", b"\\\\") + b"];B[pd])"
    assert read_game(data, "x").black_player == "許"


def test_utf8_cut_in_the_middle_of_a_character():
    # servers truncate names by bytes: the rest of the text must still come out right
    data = "(;CA[UTF-8]SZ[19]GN[世界智能围棋赛]PB[".encode() + "你若有".encode()[:-1] + "]PW[骊龙];B[pd])".encode()
    record = read_game(data, "x")
    assert record.white_player == "骊龙"
    assert record.black_player.startswith("你若")


def test_undecodable_text_still_gives_str():
    data = b"(;CA[UTF-8]SZ[19]PB[\xff\xfe\x80]PW[\x81];B[pd])"
    record = read_game(data, "x")
    assert isinstance(record.black_player, str) and isinstance(record.white_player, str)


def test_choose_encoding_prefers_a_declared_multibyte_charset():
    assert choose_encoding("柯洁".encode("gb2312"), b"GB2312") == "gb18030"
    assert choose_encoding(b"plain", b"Big5") == "ascii"


# -- skips ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, reason",
    [
        ("(;GM[1]SZ[9];B[ee])", "board size 9"),
        ("(;GM[1]SZ[13];B[ee])", "board size 13"),
        ("(;SZ[40];B[ee])", "board size 40"),
        ("(;SZ[19:13];B[ee])", "non-square board"),
        ("(;SZ[big];B[ee])", "bad board size"),
        ("(;GM[2]SZ[8];B[ee])", "not go"),
        ("(;GM[1]SZ[19]PB[x])", "no moves"),
        ("(;GM[1]SZ[19];C[just a comment])", "no moves"),
        ("(;SZ[19];B[pd];W[zz])", "bad move"),
        ("(;SZ[19];B[pd];W[p])", "bad move"),
        ("(;SZ[19];B[pd];W[pdd])", "bad move"),
        ("(;SZ[19];B[pd][dd])", "bad move"),
        ("(;SZ[19];B[PD])", "bad move"),
        ("(;SZ[19];B[pd]W[dd])", "two moves in one node"),
        ("(;SZ[19]B[pd]W[dd])", "two moves in one node"),
        ("(;SZ[19];B[pd];AB[dd];W[pp])", "setup stones after the root"),
        ("(;SZ[19];B[pd];AW[dd])", "setup stones after the root"),
        ("(;SZ[19];B[pd];W[pp]AE[pd])", "setup stones after the root"),
        ("(;SZ[19]AB[zz];B[pd])", "bad setup"),
        ("(;SZ[19]AB[tt];B[pd])", "bad setup"),
        ("(;SZ[19]AB[dd]AW[dd];B[pd])", "bad setup"),
        ("(;SZ[19];B[pd];W[dd]", "parse error"),  # truncated
        ("(;SZ[19];B[pd];W[dd", "parse error"),
        ("(;SZ[19];B[pd];W[dd]C[unterminated)", "parse error"),
        ("(;SZ[19]PB[value ends late;B[pd])", "no moves"),  # the ] after pd closes PB
        ("", "parse error"),
        ("not an sgf file at all", "parse error"),
        ("(;SZ[19] % ;B[pd])", "parse error"),
        ("(;SZ[19]();B[pd])", "parse error"),
        ("(;SZ[19];B[pd]X)", "parse error"),
    ],
)
def test_unusable_games_are_skipped_with_a_named_reason(text, reason):
    assert skip_reason(text) == reason


def test_binary_garbage_is_a_parse_error():
    assert skip_reason(bytes(range(256)) * 4) == "parse error"


def test_skip_carries_a_detail_for_humans():
    with pytest.raises(Skip) as caught:
        game("(;SZ[19];B[pd];W[zz])")
    assert caught.value.reason == "bad move" and "zz" in str(caught.value)


MUTATION_BYTES = b"[]();\\ \nBWABtt"
SEEDS = [
    b"(;GM[1]FF[4]CA[UTF-8]SZ[19]KM[6.5]HA[2]AB[dd][pp]PB[a\\]b]PL[W];W[pd]C[x (y)];B[];W[tt](;B[aa])(;B[bb]))",
    "(;CA[GB2312]SZ[19]PB[柯洁]AB[aa:cc]AE[bb];B[pd];W[dd]BL[30.5]OB[3])".encode("gb18030"),
]


def test_mutated_games_never_raise_anything_but_skip():
    rng = random.Random(20240601)
    outcomes = {"read": 0, "skipped": 0}
    for _ in range(3000):
        data = bytearray(rng.choice(SEEDS))
        for _ in range(rng.randint(1, 4)):
            spot = rng.randrange(len(data) + 1)
            action = rng.randrange(3)
            if action == 0:
                data[spot:spot + 1] = b""
            elif action == 1:
                data[spot:spot] = bytes([rng.choice(MUTATION_BYTES)])
            else:
                data[spot:spot] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
        try:
            record = read_game(bytes(data), "fuzz")
        except Skip:
            outcomes["skipped"] += 1
        else:
            assert all(0 <= point <= 361 and color in (BLACK, WHITE) for color, point in record.moves)
            assert all(isinstance(text, str) for text in (record.black_player, record.white_player, record.result))
            outcomes["read"] += 1
    assert outcomes["read"] > 100 and outcomes["skipped"] > 100


# -- fingerprint ----------------------------------------------------------------------------


def test_fingerprint_ignores_metadata_and_follows_the_moves():
    a = game("(;SZ[19]PB[x]KM[6.5];B[pd];W[dd])")
    b = game("(;SZ[19]PB[y]KM[7.5]DT[2020];B[pd];W[dd])")
    c = game("(;SZ[19];B[pd];W[dp])")
    d = game("(;SZ[19]AB[pd];W[dd])")
    assert a.fingerprint() == b.fingerprint()
    assert len({a.fingerprint(), c.fingerprint(), d.fingerprint()}) == 3
    assert len(a.fingerprint()) == 16


def test_fingerprint_is_stable_across_versions():
    # pinned: prepared data sets split train/validation by this digest
    record = game("(;SZ[19]AB[dd];W[pd];B[])")
    assert record.fingerprint().hex() == "da2c0350416cc41b44b31c183f26fb3f"


# -- real games -----------------------------------------------------------------------------


def sgfmill_moves(data: bytes) -> list[tuple[int, int]]:
    """The main line as sgfmill's high-level API reads it, in goengine points."""
    moves = []
    for node in sgf.Sgf_game.from_bytes(data).get_main_sequence():
        colour, move = node.get_move()
        if colour is None:
            continue
        point = 361 if move is None else (18 - move[0]) * 19 + move[1]  # sgfmill rows count from the bottom
        moves.append((BLACK if colour == "b" else WHITE, point))
    return moves


def test_real_games_read_exactly_like_sgfmill(shared_data):
    import tarfile

    with tarfile.open(shared_data / "tygem-9d" / "tygem-9d-2011-01.tar.bz2", "r|bz2") as archive:
        members = itertools.islice((m for m in archive if m.isfile()), 300)
        blobs = [(m.name, archive.extractfile(m).read()) for m in members]
    for name, data in blobs:
        record = read_game(data, name)
        root = sgf.Sgf_game.from_bytes(data).get_root()
        assert record.moves == sgfmill_moves(data), name
        assert record.black_player == root.get("PB") and record.white_player == root.get("PW")
        assert record.result == root.get("RE") and record.komi == root.get("KM") == 6.5
        assert record.first_player == BLACK and record.handicap == 0
