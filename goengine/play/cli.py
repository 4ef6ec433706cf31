"""Click commands for playing: ``human``, ``selfplay``, ``gtp``, ``analysis`` and ``match``.

They are plain commands (not a group); ``goengine.cli`` puts them into ``play.py`` and
the ``goengine`` console script.  Every command takes ``--model FILE`` and falls back
to the shipped model (``goengine.paths.default_model_path()``, or $GOENGINE_MODEL).
"""

from __future__ import annotations

import functools
import json
import os
import sys

import click

from goengine.coords import BLACK, WHITE


def _model_option(f):
    return click.option(
        "--model", "model_path", type=click.Path(dir_okay=False), default=None,
        help="Policy model file (.safetensors); default: the shipped model.",
    )(f)


def _resolve_device(ctx, param, value: str):
    """--device through the one device rule (goengine.nn.device); a bad name is a usage error."""
    from goengine.nn.device import DeviceError, resolve_device

    try:
        return resolve_device(value)
    except DeviceError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _device_option(f):
    f = click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
                     help="torch CPU threads (one is fastest for the small batches of play).")(f)
    return click.option("--device", default="cpu", show_default=True, callback=_resolve_device,
                        help="torch device for the network: auto, cpu, cuda or cuda:N.")(f)


def build_agent(model_path=None, device: str = "cpu", threads: int = 1, temperature: float = 0.0,
                seed: int | None = None, resign: bool = True, resign_margin: float | None = None,
                playouts: int = 0, seconds: float | None = None):
    """The agent a command plays with, from its command-line options; ClickException
    when the model is missing or unreadable.

    Every command builds its agent here, and ``match --jobs`` hands worker processes a
    ``functools.partial`` of this function, so an option that changes how goengine
    chooses moves is added in this one place.
    """
    import torch

    from goengine.engine.agent import ModelNotFoundError, load_agent
    from goengine.nn.modelfile import ModelFileError

    torch.set_num_threads(threads)
    try:
        if playouts or seconds:
            return _search_agent(model_path, device, temperature, seed, resign, playouts, seconds)
        if not resign:
            resign_kwargs = {"resign_threshold": None}
        else:
            resign_kwargs = {} if resign_margin is None else {"resign_threshold": resign_margin}
        return load_agent(model_path, device=device, temperature=temperature, rng=seed, **resign_kwargs)
    except (ModelNotFoundError, ModelFileError) as exc:
        raise click.ClickException(str(exc)) from None


def _search_agent(model_path, device, temperature: float, seed: int | None, resign: bool,
                  playouts: int, seconds: float | None):
    """A SearchAgent (goengine.engine.search): ``playouts`` per move and/or ``seconds`` per move."""
    from goengine.engine.search import SearchAgent, SearchConfig

    config = SearchConfig(playouts=playouts or None, seconds=seconds, temperature=temperature,
                          **({} if resign else {"resign_threshold": None}))
    return SearchAgent.from_model(model_path, device=device, config=config, rng=seed)


def _search_options(f):
    """--playouts / --time: how long the engine reads ahead (0 and no time: the raw network)."""
    f = click.option("--time", "seconds", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Thinking time per move in seconds (tree search); a GTP clock, when set, decides.")(f)
    return click.option("--playouts", type=click.IntRange(min=0), default=0, show_default=True,
                        help="Tree-search playouts per move; 0 plays the raw policy network.")(f)


def _board_size(agent, size: int | None) -> int:
    """--size, checked against the model (default: the model's own size)."""
    from goengine.engine.agent import BoardSizeError, require_size

    if size is None:
        return agent.board_size
    try:
        require_size(agent, size)
    except BoardSizeError as exc:
        raise click.ClickException(f"{exc}. Use --size {agent.board_size} or a model trained for {size}x{size}.") from None
    return size


@click.command("human")
@_model_option
@click.option("--color", type=click.Choice(["black", "white"], case_sensitive=False), default="black",
              show_default=True, help="Your colour.")
@click.option("--size", type=int, default=None, help="Board size (default: the model's, normally 19).")
@click.option("--komi", type=float, default=7.5, show_default=True)
@click.option("--sgf-out", type=click.Path(dir_okay=False), default=None,
              help="Save the game to this file (instead of a new file in the games folder).")
@click.option("--sgf-dir", type=click.Path(file_okay=False), default=None,
              help="Games folder (default: $GOENGINE_GAMES_DIR, else the user data folder, "
                   "e.g. ~/.local/share/goengine/games).")
@click.option("--temperature", type=float, default=0.0, show_default=True,
              help="0: the engine plays its most probable move; > 0 samples.")
@click.option("--resign/--no-resign", default=True, show_default=True, help="Let the engine resign lost games.")
@click.option("--ansi/--no-ansi", default=None, help="Colours (default: when stdout is a terminal).")
@_search_options
@_device_option
def human(model_path, color, size, komi, sgf_out, sgf_dir, temperature, resign, ansi, playouts, seconds, device,
          threads):
    """Play against the network in the terminal (type 'help' at the prompt).

    The game is saved as SGF when it ends (or on quit, end of input, Ctrl-C), and the
    path is printed.
    """
    from goengine.play.terminal import TerminalGame

    if sgf_out and sgf_dir:
        raise click.UsageError("give --sgf-out FILE or --sgf-dir FOLDER, not both")
    agent = build_agent(model_path, device, threads, temperature=temperature, resign=resign,
                        playouts=playouts, seconds=seconds)
    size = _board_size(agent, size)
    game = TerminalGame(
        agent,
        human_color=BLACK if color.lower() == "black" else WHITE,
        size=size,
        komi=komi,
        sgf_out=sgf_out,
        sgf_dir=sgf_dir,
        stdin=sys.stdin,
        stdout=sys.stdout,
        color=ansi,
    )
    code = game.run()
    if code:
        sys.exit(code)


@click.command("selfplay")
@click.option("--games", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for the SGF files (one per game).")
@_model_option
@click.option("--size", type=int, default=None, help="Board size (default: the model's).")
@click.option("--komi", type=float, default=7.5, show_default=True)
@click.option("--temperature", type=float, default=1.0, show_default=True,
              help="Sampling temperature (0 = greedy: every game identical).")
@click.option("--max-moves", type=click.IntRange(min=1), default=None, help="Move cap (default 2*N*N).")
@click.option("--batch", type=click.IntRange(min=1), default=8, show_default=True,
              help="Games played side by side (one network batch; without search only).")
@click.option("--seed", type=int, default=None)
@_search_options
@_device_option
def selfplay(games, out_dir, model_path, size, komi, temperature, max_moves, batch, seed, playouts, seconds,
             device, threads):
    """Self-play games of the network against itself, written as SGF.

    With --playouts/--time the moves come from the tree search, and every move of the
    SGF carries the search's root visit counts (property GV, see goengine/sgf/visits.py).
    """
    from goengine.play.selfplay import run_selfplay

    agent = build_agent(model_path, device, threads, temperature=temperature, seed=seed, resign=False,
                        playouts=playouts, seconds=seconds)
    size = _board_size(agent, size)
    paths = run_selfplay(agent, games, out_dir, size=size, komi=komi, temperature=temperature,
                         max_moves=max_moves, batch=batch, seed=seed)
    click.echo(f"{len(paths)} games written to {out_dir}")


def _protocol_streams():
    """(input, output) for a line protocol (GTP, JSON analysis): the real stdout is kept for it alone.

    Anything else that writes to stdout (a print, a library warning, even C code
    writing to file descriptor 1) goes to stderr instead, so it can never corrupt
    the protocol.  Input is read from a private handle on file descriptor 0, not from
    ``sys.stdin``: GTP's reader thread may still be blocked in a read when ``quit``
    ends the program, and if that read held ``sys.stdin``'s lock, closing ``sys.stdin``
    at interpreter shutdown would abort the process (SIGABRT instead of exit code 0).
    """
    import io

    try:
        stdout_fd = sys.stdout.fileno()
        stdin_fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        out = sys.stdout
        sys.stdout = sys.stderr
        return sys.stdin, out
    gtp_in = os.fdopen(os.dup(stdin_fd), "rb")
    sys.stdout.flush()
    gtp_fd = os.dup(stdout_fd)
    os.dup2(sys.stderr.fileno(), stdout_fd)
    out = io.TextIOWrapper(os.fdopen(gtp_fd, "wb"), encoding="utf-8", newline="\n", write_through=True)
    sys.stdout = sys.stderr
    return gtp_in, out


@click.command("gtp")
@_model_option
@click.option("--komi", type=float, default=7.5, show_default=True, help="Komi until the controller sets one.")
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--resign/--no-resign", default=True, show_default=True)
@click.option("--resign-margin", type=float, default=None,
              help="Resign when the area score is worse than this many points (default: a quarter of the board).")
@click.option("--superko/--no-superko", default=False, show_default=True,
              help="Forbid positional superko repetitions (besides simple ko).")
@click.option("--seed", type=int, default=None, help="Random seed (for --temperature > 0).")
@_search_options
@_device_option
def gtp(model_path, komi, temperature, resign, resign_margin, superko, seed, playouts, seconds, device, threads):
    """Speak GTP v2 on stdin/stdout (for Sabaki, Lizzie, GoGui, referees)."""
    from goengine.play.gtp import GtpEngine, serve

    agent = build_agent(model_path, device, threads, temperature=temperature, seed=seed, resign=resign,
                        resign_margin=resign_margin, playouts=playouts, seconds=seconds)
    stdin, stdout = _protocol_streams()
    engine = GtpEngine(agent, komi=komi, superko=superko, log=sys.stderr)
    print(f"goengine gtp: model {agent.info.get('path')} ({agent.board_size}x{agent.board_size}, "
          f"{agent.feature_set.name}) ready", file=sys.stderr)
    serve(engine, stdin, stdout)


@click.command("match")
@click.option("--opponent", required=True, help='GTP engine command, e.g. "gnugo --mode gtp --level 10".')
@click.option("--games", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--sgf-dir", type=click.Path(file_okay=False), default=None, help="Save each game as SGF here.")
@click.option("--size", type=int, default=None, help="Board size (default: the model's, normally 19).")
@click.option("--komi", type=float, default=7.5, show_default=True)
@click.option("--max-moves", type=click.IntRange(min=1), default=None, help="Move cap per game (default 2*N*N).")
@_model_option
@click.option("--referee", default="auto", show_default=True,
              help="Who scores games that end by passes: auto (GNU Go: a second 'gnugo --mode gtp "
                   "--chinese-rules'; other engines: their own final_score if they have it), opponent, "
                   "none (Tromp-Taylor: dead stones count as alive), or a GTP engine command.")
@click.option("--openings", "openings_source", type=click.Path(exists=True), default=None,
              help="SGF file, folder or archive: each pair of games starts from the first moves of one "
                   "of its games, once with each colour (use held-out games).")
@click.option("--opening-moves", type=click.IntRange(min=1), default=8, show_default=True,
              help="Moves of each opening (with --openings).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Games played at a time, each in its own worker process with its own engines.")
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--resign/--no-resign", default=True, show_default=True)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds the opponent may take per command.")
@click.option("--superko/--no-superko", default=False, show_default=True)
@click.option("--seed", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (with every game's result).")
@_search_options
@_device_option
def match(opponent, games, sgf_dir, size, komi, max_moves, model_path, referee, openings_source, opening_moves, jobs,
          temperature, resign, timeout, superko, seed, as_json, playouts, seconds, device, threads):
    """Play the network against a GTP engine; report win rate and Elo difference.

    Exits 0 when every game was played; 1 when the opponent or the referee failed (the
    games finished before are reported), 130 on Ctrl-C.
    """
    from goengine.play.match import MatchError, MatchInterrupted, play_match
    from goengine.play.openings import OpeningError, read_openings

    factory = functools.partial(build_agent, model_path, device, threads, temperature=temperature, seed=seed,
                                resign=resign, playouts=playouts, seconds=seconds)
    agent = factory()
    size = _board_size(agent, size)
    openings = None
    if openings_source is not None:
        try:
            openings = read_openings(openings_source, (games + 1) // 2, opening_moves, size, superko)
        except OpeningError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        summary = play_match(agent, opponent, games, size=size, komi=komi, max_moves=max_moves, sgf_dir=sgf_dir,
                             referee=referee, move_timeout=timeout, superko=superko, openings=openings, jobs=jobs,
                             agent_factory=factory)
    except MatchError as exc:
        if exc.summary is not None and exc.summary.games:
            _report(exc.summary, as_json, sgf_dir, error=str(exc))
        elif as_json:
            click.echo(json.dumps({"error": str(exc)}, indent=2))
        click.echo(f"Error: {exc}", err=True)
        sys.exit(130 if isinstance(exc, MatchInterrupted) else 1)
    _report(summary, as_json, sgf_dir)


def _report(summary, as_json: bool, sgf_dir, error: str | None = None) -> None:
    """The match summary on stdout; a match that stopped early says so."""
    if as_json:
        data = summary.to_dict()
        if error is not None:
            data["error"] = error
        click.echo(json.dumps(data, indent=2))
        return
    if error is not None:
        click.echo(f"stopped early: {summary.games} games finished")
    click.echo(summary.text())
    if sgf_dir:
        click.echo(f"games saved in {sgf_dir}")


@click.command("analysis")
@_model_option
@click.option("--visits", type=click.IntRange(min=1), default=1000, show_default=True,
              help="maxVisits of queries that give none (the policy network shares them out by prior).")
@click.option("--candidates", type=click.IntRange(min=1), default=10, show_default=True,
              help="Candidate moves (moveInfos) in each answer.")
@_device_option
def analysis(model_path, visits, candidates, device, threads):
    """KataGo's JSON analysis protocol on stdin/stdout (for KaTrain and other analysis tools).

    One JSON query per line, answered by id with moveInfos, rootInfo and (on request) the
    policy.  With a value head (the shipped network has one) each query is a tree search of
    maxVisits playouts, with real visits and winrates; a policy-only network shares the
    visits out by prior and reports 0.5.  Scores (scoreLead) are always 0: the network
    has no score head.
    """
    import goengine
    from goengine.engine.analysis import PolicyAnalyzer
    from goengine.engine.search import analyzer_for
    from goengine.play.analysis import AnalysisEngine, analyzers, serve

    agent = build_agent(model_path, device, threads)
    stdin, stdout = _protocol_streams()
    engine = AnalysisEngine(agent, analyzers(agent), default_visits=visits, candidates=candidates,
                            version=goengine.__version__)
    searching = not isinstance(analyzer_for(agent), PolicyAnalyzer)
    print(f"goengine analysis: model {agent.info.get('path')} ({agent.board_size}x{agent.board_size}) ready; "
          + ("tree search with the value head" if searching else "policy only, no value estimate: winrates are 0.5")
          + "; scores are 0", file=sys.stderr)
    try:
        serve(engine, stdin, stdout)
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["analysis", "build_agent", "gtp", "human", "match", "selfplay"]
