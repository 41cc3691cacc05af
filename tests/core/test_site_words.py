"""One wording of a site (issue 19: site labels were written four times and drifted: "left limb",
"site not recorded", "site not stated", a bare "left"). The engine's texts, the app, the text
report and the cards now read `hosentinel.core.site_words`; an AST scan keeps it that way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hosentinel
from hosentinel.core.site_words import site_heading, site_label

PACKAGE_ROOT = Path(hosentinel.__file__).parent
HOME = PACKAGE_ROOT / "core" / "site_words.py"
# Not our wording: the text an EHR would put in a synthetic record's bodySite.
EHR_TEXT = {"synthetic/builders.py:body_site"}


@pytest.mark.parametrize(
    ("joint", "side", "label", "heading"),
    [
        ("hip", "right", "right hip", "right hip"),
        ("elbow", None, "elbow", "elbow"),
        (None, "left", "left limb", "left limb"),
        (None, None, "limb", "site not recorded"),
    ],
)
def test_a_site_reads_the_same_everywhere(
    joint: str | None, side: str | None, label: str, heading: str
) -> None:
    assert site_label(joint, side) == label
    assert site_heading(joint, side) == heading


FALLBACKS = ("site not", "site unknown", "joint not stated")


def wording_functions(tree: ast.AST) -> list[str]:
    """Functions that word a site themselves: a `" ".join(...)` over a side and a joint, or a
    fallback text for a site that is not recorded."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for inner in ast.walk(node):
            if _joins_side_and_joint(inner) or (
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, str)
                and inner.value.startswith(FALLBACKS)
            ):
                found.append(node.name)
                break
    return found


def _joins_side_and_joint(node: ast.AST) -> bool:
    """`" ".join(...)` over a pair such as `(side, joint)` or `(s.side, s.joint or "limb")`."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
    ):
        return False
    for pair in ast.walk(node):
        if isinstance(pair, ast.Tuple) and len(pair.elts) == 2:
            names = {
                n.attr if isinstance(n, ast.Attribute) else n.id
                for n in ast.walk(pair)
                if isinstance(n, (ast.Attribute, ast.Name))
            }
            if {"side", "joint"} <= names:
                return True
    return False


def test_no_other_module_words_a_site() -> None:
    elsewhere = {
        f"{path.relative_to(PACKAGE_ROOT).as_posix()}:{name}"
        for path in PACKAGE_ROOT.rglob("*.py")
        if path != HOME
        for name in wording_functions(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert elsewhere == EHR_TEXT
