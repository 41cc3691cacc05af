"""Which resources can matter to an assessment: one regular expression, from the knowledge base.

The engine decides only what to *keep*; the exact reading (codes, text, dates, statuses) is done
afterwards by the same builders and the same `evaluate` as `assess`. So the test must keep every
resource that could change an assessment, and may keep more. The builders read a resource's codes
and texts only from `code`, `medicationCodeableConcept`, `medicationReference`, `contained` and
`conclusionCode` (`hosentinel.fhir.builders`); the engine hands those elements over as JSON text
(`extraction.CODED`). The knowledge base then matches (a) codings' codes against its value sets
(exact or prefix; ICD-10-CM codes normalised: upper case, dot after the category); (b) the
project's finding code system; (c) texts (a concept's text, a coding's display, a medicine's
name) against the value sets' patterns. The elements' text must therefore contain

* a `"code": "<value>"` whose value starts like a known code (in any code system, case and the
  ICD-10-CM dot ignored); or
* the finding code system's URI (any case); or
* a match of a value-set text pattern, made portable (lookarounds and anchors removed, which only
  widens it);

or else (`extraction.py`) a backslash or a non-ASCII character: then JSON escapes or Unicode case
folding could hide a match from the raw text, so the resource is kept and read exactly.

In pure-ASCII JSON text without escapes, every string value appears as itself, and ASCII matching
is the same in Python `re`, RE2 (DuckDB) and `java.util.regex` (Spark): so the pattern keeps every
resource the knowledge base can match. It is written in the syntax those three share, for text
the extraction has lower-cased (case-insensitive matching costs Java dearly), with its
alternatives grouped by first character (`factor`): Java's backtracking matcher would otherwise
try every alternative at every position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from hosentinel.knowledge.loader import Knowledge

FINDING_SYSTEM = r"hosentinel\.org/fhir/codesystem/finding"
_CODE_KEY = r'"code"\s*:\s*"\s*'


class PatternError(ValueError):
    """A knowledge-base pattern uses syntax the engines do not share."""


def _code_regex(system: str, code: str, exact: bool) -> str:
    if system == "icd10cm":
        plain = code.upper().replace(".", "")
        body = re.escape(plain[:3]) + (r"\.?" + re.escape(plain[3:]) if len(plain) > 3 else "")
    else:
        body = re.escape(code)
    return body + (r'\s*"' if exact else "")


def code_alternatives(knowledge: Knowledge) -> list[str]:
    exact = {_code_regex(system, code, True) for system, code in knowledge.exact_codes}
    prefix = {_code_regex(system, code, False) for system, code in knowledge.prefix_codes}
    return sorted(exact | prefix)


def portable(pattern: str) -> str:
    """The pattern in the syntax RE2, Java and Python share, never matching less: lookarounds
    and ^/$ anchors are dropped, named groups become plain groups. Raises PatternError for what
    has no safe translation (backreferences, inline flags other than i, atomic groups)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt.isdigit() and nxt != "0":
                raise PatternError(f"{pattern!r}: backreferences are not portable")
            if nxt in ("A", "Z", "z", "G"):
                i += 2  # anchors: dropping them only widens the match
                continue
            out.append(pattern[i : i + 2])
            i += 2
        elif ch == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i : end + 1])
            i = end + 1
        elif ch in "^$":
            i += 1
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(pattern, i) + 1
        elif pattern.startswith("(?P<", i):
            i = pattern.index(">", i) + 1
            out.append("(?:")
        elif pattern.startswith("(?#", i):
            i = pattern.index(")", i) + 1
        elif pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            flags = re.match(r"\(\?([a-zA-Z]+)\)", pattern[i:])
            if flags and set(flags.group(1)) <= {"i"}:
                i += flags.end()
                continue
            raise PatternError(f"{pattern!r}: group syntax at {i} is not portable")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """Index of the ']' closing the character class opened at `start`."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i
        i += 1
    raise PatternError(f"{pattern!r}: unterminated character class")


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of the pattern from `start`, escapes and character classes stepped
    over whole: what is left are the characters that make its structure."""
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
        elif ch == "[":
            i = _class_end(pattern, i) + 1
        else:
            yield i, ch
            i += 1


def _group_end(pattern: str, start: int) -> int:
    """Index of the ')' closing the group opened at `start`."""
    depth = 0
    for i, ch in _structure(pattern, start):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    raise PatternError(f"{pattern!r}: unbalanced parentheses")


def text_alternatives(patterns: Iterable[str]) -> list[str]:
    return sorted({portable(p) for p in patterns})


def lowercase(pattern: str) -> str:
    """The pattern for lower-cased text: literal letters (also in classes) lower-cased, escapes
    (\\b, \\S, \\W, ...) left as they are."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i].lower())
            i += 1
    return "".join(out)


def branches_of(pattern: str) -> list[str]:
    """The pattern split at its top-level `|` (not inside groups or classes)."""
    out: list[str] = []
    depth = start = 0
    for i, ch in _structure(pattern):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
    out.append(pattern[start:])
    return out


def _expand_leading_group(alternative: str) -> list[str]:
    """`\\b(a|b)c` -> `\\bac`, `\\bbc`; `\\b(a )?c` -> `\\ba c`, `\\bc` (the same language), so
    that every branch starts with a literal character."""
    bounded = alternative.startswith("\\b")
    body = alternative[2:] if bounded else alternative
    if not body.startswith("("):
        return [alternative]
    end = _group_end(body, 0)
    inner = body[1:end]
    if inner.startswith("?:"):
        inner = inner[2:]
    elif inner.startswith("?"):
        return [alternative]
    optional = body[end + 1 : end + 2] == "?"
    if body[end + 1 : end + 2] in ("*", "+", "{") or (optional and body[end + 2 : end + 3] in "?+"):
        return [alternative]
    tail = body[end + 2 :] if optional else body[end + 1 :]
    prefix = "\\b" if bounded else ""
    out = [prefix + branch + tail for branch in branches_of(inner)]
    if optional:
        out.append(prefix + tail)
    return [e for branch in out for e in _expand_leading_group(branch)]


def factor(alternatives: Iterable[str]) -> str:
    """One alternation, grouped by leading word boundary and first literal character:
    `\\b(?:a(?:lendron|spirin)|...)`. Backtracking engines (Java) then try a branch only where
    its first character is; the language matched is the same."""
    groups: dict[tuple[bool, str], list[str]] = {}
    rest: list[str] = []
    expanded = (e for a in alternatives for b in branches_of(a) for e in _expand_leading_group(b))
    for alternative in expanded:
        bounded = alternative.startswith("\\b")
        body = alternative[2:] if bounded else alternative
        first, after = body[:1], body[1:2]
        if first.isalnum() and after not in ("?", "*", "+", "{"):
            groups.setdefault((bounded, first), []).append(body[1:])
        else:
            rest.append(alternative)
    grouped: dict[bool, list[str]] = {True: [], False: []}
    for (bounded, first), tails in sorted(groups.items()):
        tails = sorted(set(tails))
        inner = tails[0] if len(tails) == 1 else "(?:" + "|".join(tails) + ")"
        grouped[bounded].append(f"{first}{inner}" if inner else first)
    parts = []
    if grouped[True]:
        parts.append("\\b(?:" + "|".join(grouped[True]) + ")")
    parts.extend(grouped[False])
    parts.extend(f"(?:{r})" for r in sorted(set(rest)))
    return "|".join(parts)


def relevance_pattern(knowledge: Knowledge) -> str:
    """The one regular expression that a resource's coded elements, lower-cased, must match."""
    codes = factor(lowercase(c) for c in code_alternatives(knowledge))
    texts = factor(
        lowercase(t) for t in text_alternatives(p.pattern for p, _ in knowledge.text_patterns)
    )
    return "|".join([FINDING_SYSTEM, f"{_CODE_KEY}(?:{codes})", texts])
