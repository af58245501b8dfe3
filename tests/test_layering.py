"""The package's layers never import upward, and Keras reaches engine internals only through
the seams that docs/keras.md names."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rill"
ENGINE = ("_core", "ops", "function")
# engine internals Keras may use (docs/keras.md, "seams")
KERAS_SEAMS = {"rill._core.graph.GraphTensor", "rill._core.op"}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


def _files(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def test_the_engine_never_imports_keras():
    bad = [(str(p.relative_to(ROOT)), name) for pkg in ENGINE for p in _files(pkg)
           for name in _imports(p) if name.startswith("rill.keras")]
    assert bad == []


def test_keras_uses_only_public_rill_and_the_named_seams():
    bad = []
    for p in _files("keras"):
        for name in _imports(p):
            if not name.startswith("rill._"):
                continue
            if any(name == seam or name.startswith(seam + ".") for seam in KERAS_SEAMS):
                continue
            bad.append((str(p.relative_to(ROOT)), name))
    assert bad == []


def test_the_seams_are_documented():
    doc = (ROOT.parent / "docs" / "keras.md").read_text()
    for seam in KERAS_SEAMS:
        assert f"`{seam}" in doc, seam
