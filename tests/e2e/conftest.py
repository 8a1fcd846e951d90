import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world import ROOT, World  # noqa: E402


@pytest.fixture(scope="session")
def binary():
    path = os.environ.get("XACCT_CRED_BIN", os.path.join(ROOT, "target", "debug", "xacct-cred"))
    assert os.access(path, os.X_OK), f"build the binary first ({path}); tests/run-e2e.sh does"
    return path


@pytest.fixture(scope="session")
def world(binary):
    w = World(binary)
    yield w
    w.stop()


@pytest.fixture
def home(world, tmp_path):
    return world.new_home(str(tmp_path / "home"))


@pytest.fixture
def env(world, home):
    return world.env(home)
