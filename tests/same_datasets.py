#!/usr/bin/python3
"""Exits 0 when two HDF5 files hold the same datasets with the same values bit for bit (and
the same shapes and types), 1 otherwise, listing the differences. Attributes are not compared
(they hold provenance such as creation time). Usage:
    same_datasets.py A.h5 B.h5 [--exclude /path ...]
Needs Debian's python3-h5py and python3-numpy (under /usr/bin/python3)."""
import argparse
import sys

import h5py
import numpy


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__("/" + name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--exclude", action="append", default=[])
    args = parser.parse_args()
    problems = []
    with h5py.File(args.a, "r") as fa, h5py.File(args.b, "r") as fb:
        da, db = datasets(fa), datasets(fb)
        for path in sorted(set(da) | set(db)):
            if path in args.exclude:
                continue
            if path not in da or path not in db:
                problems.append(f"{path}: only in {args.a if path in da else args.b}")
                continue
            x, y = da[path], db[path]
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append(f"{path}: shape/type {x.shape} {x.dtype} against {y.shape} {y.dtype}")
                continue
            vx, vy = x[()], y[()]
            if x.dtype.kind == "O":  # strings
                same = vx == vy if x.shape == () else list(vx.flat) == list(vy.flat)
            else:  # bit for bit, NaN included
                same = numpy.asarray(vx).tobytes() == numpy.asarray(vy).tobytes()
            if not same:
                problems.append(f"{path}: values differ")
    for p in problems:
        print(f"{args.a} vs {args.b}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
