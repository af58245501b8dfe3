"""No public name is ever lost: every name in tests/fixtures/public_names.json (a snapshot
made by tests/fixtures/make_public_names.py) still exists at the same path. Names may only be
added."""

import json
import pathlib

import pytest

import rill

SNAPSHOT = json.loads((pathlib.Path(__file__).parent / "fixtures" / "public_names.json")
                      .read_text())


def _resolve(path: str):
    obj = rill
    for part in path.split(".") if path != "rill" else ():
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("namespace", sorted(SNAPSHOT))
def test_every_snapshot_name_still_exists(namespace):
    obj = _resolve(namespace)
    entry = SNAPSHOT[namespace]
    missing = [n for n in entry["dir"] if not hasattr(obj, n)]
    assert missing == [], f"rill.{namespace} lost {missing}"
    if namespace != "rill":  # rill's lazy names are reached through __getattr__
        assert sorted(set(entry["dir"]) - set(dir(obj))) == []
    if "__all__" in entry:
        expected = entry["dir"] if entry["__all__"] == "dir" else entry["__all__"]
        assert sorted(set(expected) - set(obj.__all__)) == []
        assert all(hasattr(obj, n) for n in obj.__all__)


def test_lazy_top_level_names_are_indexed():
    # a top-level name declared by a lazy namespace's module must be in LAZY_NAMES, or
    # rill.__getattr__ would not know which namespace to load for it
    from rill import _api
    declared = {public for modules in _api.LAZY.values()
                for public, _, _ in _api._entries("tf", modules)}
    assert declared == set(_api.LAZY_NAMES)
    for name, namespace in _api.LAZY_NAMES.items():
        assert getattr(rill, name) is getattr(getattr(rill, namespace), name)


def test_where_names_the_declaring_module():
    from rill import _api
    assert _api.where("math.add") == _api.where("tf.add") == "rill.ops.math_ops"
    assert _api.where("range") == "rill.ops.array_ops"  # declared as range=range_
    assert _api.where("sparse.matmul") == "rill.ops.sparse_ops"
    with pytest.raises(LookupError):
        _api.where("math.no_such_function")
