"""Fixtures shared by the test modules."""

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the tests share helpers with the benchmarks: benchmarks/synthetic.py


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real game records kept beside the repository (``../shared/data``); tests that
    need them are skipped where they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def gnugo_path() -> str:
    """GNU Go's executable (on PATH, or Debian's /usr/games/gnugo); tests that play
    against it are skipped where it is not installed."""
    path = shutil.which("gnugo") or ("/usr/games/gnugo" if Path("/usr/games/gnugo").exists() else None)
    if path is None:
        pytest.skip("GNU Go is not installed")
    return path


@pytest.fixture
def one_torch_thread():
    """Single positions run fastest on one thread (and 2-thread OpenMP crawls on a busy
    2-core machine); restore the setting for the rest of the suite.  The play-layer
    modules use it for every test: ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _tiny_model(request, tmp_path_factory, size: int) -> Path:
    """An untrained "tiny" PolicyNet for ``size`` x ``size`` (torch seed 0), saved as
    ``tiny{size}.safetensors`` in a fresh folder.  A test module tunes it with a
    ``TINY_MODEL`` dict: ``feature_set`` (default "simple"), ``point_bias`` (True: a
    per-point bias from -1 to 1, so the choices are not all ties) and ``info`` (the
    training metadata saved with it)."""
    import torch

    from goengine.features import get_feature_set
    from goengine.nn.model import PolicyNet, resolve_architecture
    from goengine.nn.modelfile import save_model

    options = getattr(request.module, "TINY_MODEL", {})
    feature_set = options.get("feature_set", "simple")
    torch.manual_seed(0)
    planes = get_feature_set(feature_set).num_planes
    net = PolicyNet(resolve_architecture("tiny", in_planes=planes, board_size=size))
    if options.get("point_bias", False):
        with torch.no_grad():
            net.point_bias.copy_(torch.linspace(-1.0, 1.0, size * size))
    path = tmp_path_factory.mktemp("models") / f"tiny{size}.safetensors"
    return save_model(net, path, feature_set, options.get("info"))


@pytest.fixture(scope="module")
def model9(request, tmp_path_factory) -> Path:
    """A tiny untrained 9x9 model file (see ``_tiny_model``)."""
    return _tiny_model(request, tmp_path_factory, 9)


@pytest.fixture(scope="module")
def model19(request, tmp_path_factory) -> Path:
    """A tiny untrained 19x19 model file (see ``_tiny_model``)."""
    return _tiny_model(request, tmp_path_factory, 19)
