#!/usr/bin/env python3
"""Writes the Fashion-MNIST partition that Flower's NIID-Bench reproduction trains on.

Flower's figure for FedAvg in the NIID-Bench Fashion-MNIST setting (88.09 +- 0.29 %, best round,
`baselines/niid_bench` in adap/flower) comes from one partition: its `load_datasets` is called
without a seed, so every run splits the training set with NumPy's `default_rng(42)`, whatever
`dataset_seed` the run was given. FedSum's own partitioner (Java, its own random generator) draws
other partitions from the same rule, and the best round moves by more than a point from one draw
to another. This script draws Flower's partition itself, so that FedSum can be measured on the
very silos the published figure was measured on:

    python3 silo-node/src/test/python/flower_niid_partition.py /usr/share/datasets/fashion-mnist \
        OUT/partition.txt [--silos 10] [--alpha 0.5] [--seed 42]

then `NiidBenchmark ... --partition OUT/partition.txt`.

The rule is NIID-Bench's Dirichlet label skew: for each class in turn, shuffle its examples, draw
the silos' shares from Dirichlet(alpha), give no more to a silo that already holds its even share
of the whole set, and cut; start over until every silo holds at least 10 examples. To give the same
partition, the calls on the generator are the same ones, in the same order, on the labels in the
order of the IDX file (torchvision's FashionMNIST reads the same file in the same order). It needs
only Debian's python3-numpy; NumPy does not promise the same stream from `Generator` across all
versions, so the NumPy version is printed with the silo sizes.

Output: one line per silo, the positions (from 0) of its examples in the training files in
ascending order, separated by spaces (the format `NiidBenchmark --export-setup` writes).
"""

import argparse
import gzip
import os
import sys

import numpy as np

MINIMUM_PER_SILO = 10
LABELS_MAGIC = 0x801


def read_labels(path):
    """The labels of an IDX label file, in file order, as int64 (as torchvision gives them)."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        sys.exit(f"{path}: {len(data)} bytes, shorter than an IDX header")
    found = int.from_bytes(data[0:4], "big")
    if found != LABELS_MAGIC:
        sys.exit(f"{path}: magic number {found:#x}, expected {LABELS_MAGIC:#x} (labels)")
    count = int.from_bytes(data[4:8], "big")
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size != count:
        sys.exit(f"{path}: {labels.size} labels, header says {count}")
    return labels.astype(np.int64)


def dirichlet_label_skew(labels, silos, alpha, seed):
    """Each silo's example positions under NIID-Bench's Dirichlet rule, drawn by default_rng(seed)."""
    generator = np.random.default_rng(seed)
    classes = len(set(labels.tolist()))
    even_share = len(labels) / silos
    smallest = 0
    while smallest < MINIMUM_PER_SILO:
        assigned = [[] for _ in range(silos)]
        for label in range(classes):
            positions = np.where(labels == label)[0]
            generator.shuffle(positions)
            shares = generator.dirichlet(np.repeat(alpha, silos))
            # A silo at its even share of the whole set takes no more of any class.
            shares = np.array(
                [share * (len(held) < even_share) for share, held in zip(shares, assigned)]
            )
            shares = shares / shares.sum()
            cuts = (np.cumsum(shares) * len(positions)).astype(int)[:-1]
            for held, piece in zip(assigned, np.split(positions, cuts)):
                held.extend(piece.tolist())
            smallest = min(len(held) for held in assigned)
    return assigned


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="directory with train-labels-idx1-ubyte.gz")
    parser.add_argument("output", help="the partition file to write")
    parser.add_argument("--silos", type=int, default=10)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args()
    if arguments.silos < 2:
        sys.exit(f"--silos must be at least 2, not {arguments.silos}")
    if not arguments.alpha > 0:
        sys.exit(f"--alpha must be positive, not {arguments.alpha}")

    labels = read_labels(os.path.join(arguments.data, "train-labels-idx1-ubyte.gz"))
    silos = dirichlet_label_skew(labels, arguments.silos, arguments.alpha, arguments.seed)

    temporary = arguments.output + ".part"
    with open(temporary, "w", encoding="utf-8") as file:
        for held in silos:
            file.write(" ".join(str(position) for position in sorted(held)) + "\n")
    os.replace(temporary, arguments.output)
    print(
        f"numpy {np.__version__}, default_rng({arguments.seed}), Dirichlet({arguments.alpha}):"
        f" silo sizes {[len(held) for held in silos]}, written to {arguments.output}"
    )


if __name__ == "__main__":
    main()
