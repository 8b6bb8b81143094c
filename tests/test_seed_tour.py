"""The tour in shared/seed runs unchanged with ``import reference as it`` and
prints what the tour prints (cells 2-8), and its notebook examples (cells 9-14)
give what a plain serial computation gives."""

from __future__ import annotations

import collections
import json
import pathlib

import numpy as np
import pytest

import reference as it

pytestmark = pytest.mark.usefixtures("ray_session")


class CumulativeSum:
    def __init__(self):
        self.total = 0

    def __call__(self, x):
        self.total += x
        return (self.total, x)


def test_tour_cells_2_to_8_print_what_the_tour_prints(capsys):
    items = [1, 2, 3, 4, 5]
    iter1 = it.from_items(items, num_shards=2)
    print(repr(iter1))
    local_iter1 = iter1.gather_sync()
    print(repr(local_iter1))
    for item in local_iter1:
        print(item)
    for x in iter1.for_each(CumulativeSum()).gather_sync():
        print(x)
    print(iter1.shards())
    for shard in iter1.shards():
        print(repr(shard))
        for item in shard:
            print(item)
    expected = """\
ParallelIterator[from_items[int, 5, shards=2]]
LocalIterator[ParallelIterator[from_items[int, 5, shards=2]].gather_sync()]
1
2
3
4
5
(1, 1)
(2, 2)
(4, 3)
(6, 4)
(9, 5)
[LocalIterator[from_items[int, 5, shards=2].shard[0]], LocalIterator[from_items[int, 5, shards=2].shard[1]]]
LocalIterator[from_items[int, 5, shards=2].shard[0]]
1
3
5
LocalIterator[from_items[int, 5, shards=2].shard[1]]
2
4
"""
    assert capsys.readouterr().out == expected


def _make_notebooks(folder: pathlib.Path, count: int) -> list[pathlib.Path]:
    paths = []
    for n in range(count):
        cells = []
        for c in range(4 + n):
            lines = [f"Line {k} about Ray and parallel iterators {n}\n" if (k + c + n) % 3 == 0
                     else f"line {k} of cell {c}, nothing here\n" for k in range(7 + c)]
            cells.append({"cell_type": "markdown" if c % 2 == 0 else "code", "source": lines})
        path = folder / f"ex_{n:02d}.ipynb"
        path.write_text(json.dumps({"cells": cells}))
        paths.append(path)
    return paths


def _ray_line(line):
    return 1 if "Ray" in line else 0


def test_tour_cell_9_10_markdown_frequency(tmp_path):
    nb_items = _make_notebooks(tmp_path, 6)
    window_width = 20
    iter2 = (
        it.from_items(nb_items, num_shards=3)
        .for_each(lambda f: json.load(open(f)))
        .for_each(lambda nb: nb["cells"])
        .flatten()
        .for_each(lambda cell: cell["source"] if cell["cell_type"] == "markdown" else [])
        .flatten()
        .for_each(lambda line: 1 if "Ray" in line else 0)
        .batch(window_width)
        .for_each(np.mean)
    )
    assert repr(iter2) == (
        "ParallelIterator[from_items[PosixPath, 6, shards=3].for_each().for_each()"
        ".flatten().for_each().flatten().for_each().batch(20).for_each()]"
    )
    got = sorted(float(x) for x in iter2.gather_async())

    expected = []
    for shard in range(3):  # from_items deals round-robin (SHARD-1)
        flags = [
            _ray_line(line)
            for path in nb_items[shard::3]
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "markdown"
            for line in cell["source"]
        ]
        expected += [float(np.mean(flags[i : i + window_width]))
                     for i in range(0, len(flags), window_width)]
    assert got == sorted(expected)


def nb_word_count(shard):
    wc = collections.defaultdict(int)
    punct = """'`<>[](){}*.,:…-'"""
    for nb_path in shard:
        with open(nb_path) as f:
            nb = json.load(f)
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown":
                    for line in cell["source"]:
                        for token in line.strip("# ").lower().split():
                            wc[token.strip(punct)] += 1
    return wc


def test_tour_cells_11_to_14_shards_in_remote_tasks(tmp_path, ray_session):
    ray = ray_session
    nb_items = _make_notebooks(tmp_path, 6)
    iter3 = it.from_items(nb_items, num_shards=3)
    remote_count = ray.remote(nb_word_count)
    work = [remote_count.remote(shard) for shard in iter3.shards()]
    wc_sum = collections.Counter()
    for wc in ray.get(work):
        wc_sum.update(wc)
    assert wc_sum == collections.Counter(nb_word_count(nb_items))
