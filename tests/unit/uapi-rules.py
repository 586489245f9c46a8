#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Every rule of the Errors table of Documentation/uapi.rst has a test.

Reads the table (one rule per cell, or per item of a cell's bullet list),
compares it with tests/unit/uapi-rules.txt, and checks that every test
named there exists. A rule added to the book without a line in the list,
a line whose rule the book no longer has, and a test that does not exist
(renamed, removed) all fail, with what to do.

  uapi-rules.py SOURCE_DIR
"""
import os
import re
import sys


def norm(text):
    """The rule's text as the list spells it: no ``markup``, one space."""
    return re.sub(r"\s+", " ", text.replace("``", "")).strip()


def book_rules(path):
    """(errno, rule) pairs of the Errors table, in order, and the rows that
    could not be read (a row must start with one or more ``EXXX``)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("\nErrors\n======\n")
    table = text[text.index(".. list-table::", start):]
    # the table ends at the first line back at column 0
    table = re.split(r"\n(?=\S)", table)[0]
    rows = re.split(r"\n   \* - ", table)[2:]      # [0]: options, [1]: header
    rules, bad = [], []
    for row in rows:
        m = re.match(r"((?:``E[A-Z0-9]+``(?:, )?)+)\n     - (.*)", row, re.S)
        if not m:
            bad.append(row.splitlines()[0])
            continue
        errnos = re.findall(r"``(E[A-Z0-9]+)``", m.group(1))
        cell = m.group(2)
        if re.match(r"[-*] ", cell):
            items = re.split(r"\n       [-*] ", "\n       " + cell)[1:]
        else:
            items = [cell]
        rules += [("/".join(errnos), norm(i)) for i in items]
    return rules, bad


def listed_rules(path):
    """{(errno, rule): [tests]} of uapi-rules.txt, and its problems."""
    listed, problems, key = {}, [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("\t"):
                if key is None:
                    problems.append(f"{path}:{n}: tests before any rule")
                    continue
                listed[key] += line.split()
                continue
            m = re.match(r"(E[A-Z0-9]+(?:/E[A-Z0-9]+)*): (.+)$", line)
            if not m:
                problems.append(f"{path}:{n}: not 'ERRNO: rule': {line}")
                key = None
                continue
            key = (m.group(1), norm(m.group(2)))
            if key in listed:
                problems.append(f"{path}:{n}: listed twice: {line}")
            listed[key] = []
    return listed, problems


LANES = ("bounce", "debug", "arm64")


def test_exists(src, ref):
    """Whether the test @ref names exists in the tree (and its @LANE, if it
    has one, is a lane of the suite)."""
    ref, _, lane = ref.partition("@")
    if lane and lane not in LANES:
        return False
    vm = os.path.join(src, "tests", "vm")
    if ref.endswith(".sh"):
        return os.path.isfile(os.path.join(vm, ref))
    prog, sep, case = ref.partition(":")
    if not sep or not case:
        return False
    if prog == "kunit":
        path = os.path.join(src, "tests", "kunit", "iub_kunit.c")
        pattern = r"KUNIT_CASE\(" + re.escape(case) + r"\)"
    else:
        path = os.path.join(vm, prog + ".c")
        pattern = r"^TEST(_F)?\((\s*\w+\s*,)?\s*" + re.escape(case) + r"\s*\)"
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8") as f:
        return re.search(pattern, f.read(), re.M) is not None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    book, bad = book_rules(os.path.join(src, "Documentation", "uapi.rst"))
    listed, problems = listed_rules(os.path.join(src, "tests", "unit",
                                                 "uapi-rules.txt"))
    problems += [f"a row of uapi.rst's Errors table that is not "
                 f"``EXXX`` (or ``EXXX``, ``EYYY``): {b}" for b in bad]
    if len(book) < 20:
        problems.append(f"only {len(book)} rules read from uapi.rst's "
                        "Errors table: has its layout changed?")
    for errno, rule in book:
        if (errno, rule) not in listed:
            problems.append(f"no test listed for the rule\n  {errno}: {rule}"
                            "\n  add it, with its tests, to "
                            "tests/unit/uapi-rules.txt")
    for (errno, rule), tests in listed.items():
        if (errno, rule) not in book:
            problems.append(f"uapi-rules.txt lists a rule the book does not "
                            f"have (reworded?)\n  {errno}: {rule}")
        if not tests:
            problems.append(f"no test named for {errno}: {rule}")
        for t in tests:
            if not test_exists(src, t):
                problems.append(f"{errno}: {rule[:50]}...: no test {t}")
    for p in problems:
        print("not ok - " + p)
    print(f"{len(book)} rules, {sum(len(t) for t in listed.values())} "
          f"tests named, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
