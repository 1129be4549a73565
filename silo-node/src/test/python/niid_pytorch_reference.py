#!/usr/bin/env python3
"""The NIID-Bench Fashion-MNIST setting in plain PyTorch, on the silos FedSum's benchmark draws.

FedSum's NiidBenchmark (silo-node test sources) trains through DJL and sums through secure
aggregation. This script runs the same recipe with nothing of FedSum in it, the way Flower's
reproduction of NIID-Bench does: torch.nn layers with PyTorch's own initialization, SGD (learning
rate 0.01, momentum 0.9, weight decay 1e-5, a new optimizer each round), batch 64 with the
examples reshuffled every epoch and the partial last batch kept, 10 local epochs, weighted FedAvg
of the parameters, test accuracy on the 10,000 test images after every round.

Only the silos are taken from FedSum (`NiidBenchmark --export-setup DIR --seed S` writes them), so
that the two runs of a seed differ in the implementation and not in the partition, which moves the
best round by more than a point from one seed to another. With `--init fedsum` the run also starts
from FedSum's initial model; by default it draws its own from `--seed`. With `--mu MU` every silo
trains FedProx's local objective, cross-entropy plus MU/2 times the squared distance of the
parameters from the round's global model, as Flower's NIID-Bench FedProx client does (its default
MU is 0.01).

It needs Debian's python3-torch and python3-numpy, and is not part of the build:

    python3 silo-node/src/test/python/niid_pytorch_reference.py /usr/share/datasets/fashion-mnist \
        --setup DIR --seed S --state STATE_DIR [--rounds 50] [--local-epochs 10] [--init torch|fedsum] \
        [--mu 0.01]

A run is resumable: after every round the global model and the curve are saved in STATE_DIR
(written, then renamed), and a restarted run goes on after the last finished round; a restart with
another `--mu` is refused, since its curve would mix two algorithms.
"""

import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH_SIZE = 64
LEARNING_RATE = 0.01
MOMENTUM = 0.9
WEIGHT_DECAY = 1e-5
CURVE_HEADER = "round\ttest_accuracy\ttest_loss\tround_seconds\n"


def read_idx(path, magic):
    """An IDX file's payload: uint8 images (n, 1, 28, 28) scaled to [0, 1], or int64 labels."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    found = int.from_bytes(data[0:4], "big")
    if found != magic:
        sys.exit(f"{path}: magic number {found:#x}, expected {magic:#x}")
    count = int.from_bytes(data[4:8], "big")
    if magic == 0x803:
        rows, columns = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
        pixels = np.frombuffer(data, dtype=np.uint8, offset=16)
        if pixels.size != count * rows * columns:
            sys.exit(f"{path}: {pixels.size} pixels for {count} images of {rows}x{columns}")
        # torchvision's ToTensor: divide by 255, no normalisation (as Flower's NIID-Bench).
        return torch.from_numpy(pixels.reshape(count, 1, rows, columns).astype(np.float32) / 255.0)
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size != count:
        sys.exit(f"{path}: {labels.size} labels, header says {count}")
    return torch.from_numpy(labels.astype(np.int64))


def small_cnn():
    """NIID-Bench's CNN for 28x28 grey images: 44,426 parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def load_fedsum_model(model, setup):
    """Copies FedSum's flat initial model in, checking each tensor's shape against layout.tsv."""
    flat = np.fromfile(os.path.join(setup, "initial-model.f32"), dtype="<f4")
    with open(os.path.join(setup, "layout.tsv"), encoding="utf-8") as file:
        rows = [line.rstrip("\n").split("\t") for line in file][1:]
    tensors = list(model.parameters())
    if len(rows) != len(tensors):
        sys.exit(f"layout.tsv has {len(rows)} tensors, the model {len(tensors)}")
    with torch.no_grad():
        for (name, shape, offset, size), tensor in zip(rows, tensors):
            shape = tuple(int(d) for d in shape.split(","))
            if shape != tuple(tensor.shape):
                sys.exit(f"layout.tsv: {name} has shape {shape}, the model's tensor {tuple(tensor.shape)}")
            values = flat[int(offset) : int(offset) + int(size)].reshape(shape)
            tensor.copy_(torch.from_numpy(values.copy()))


def train_silo(model, images, labels, epochs, generator, mu):
    optimizer = torch.optim.SGD(
        model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY
    )
    loss_function = nn.CrossEntropyLoss()
    global_parameters = [parameter.detach().clone() for parameter in model.parameters()]
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for first in range(0, len(labels), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_function(model(images[batch]), labels[batch])
            if mu > 0:
                # Flower writes torch.norm(w - w_global) ** 2: the same value, and the same
                # gradient 2(w - w_global), which this form also has where the two are equal.
                distance = sum(
                    (parameter - start).pow(2).sum()
                    for parameter, start in zip(model.parameters(), global_parameters)
                )
                loss = loss + (mu / 2) * distance
            loss.backward()
            optimizer.step()


def evaluate(model, images, labels):
    model.eval()
    correct, loss_sum = 0, 0.0
    loss_function = nn.CrossEntropyLoss(reduction="sum")
    with torch.no_grad():
        for first in range(0, len(labels), 1000):
            logits = model(images[first : first + 1000])
            loss_sum += loss_function(logits, labels[first : first + 1000]).item()
            correct += (logits.argmax(dim=1) == labels[first : first + 1000]).sum().item()
    return correct / len(labels), loss_sum / len(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="directory of Fashion-MNIST's four .gz IDX files")
    parser.add_argument("--setup", required=True, help="NiidBenchmark --export-setup's directory")
    parser.add_argument("--state", required=True, help="where the curve and model are kept")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--local-epochs", type=int, default=10)
    parser.add_argument("--init", choices=["torch", "fedsum"], default="torch")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mu", type=float, default=0.0, help="FedProx's proximal weight (0: FedAvg)")
    arguments = parser.parse_args()
    if not arguments.mu >= 0 or arguments.mu == float("inf"):
        parser.error(f"--mu must be a finite number >= 0, got {arguments.mu}")
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)

    train_images = read_idx(os.path.join(arguments.data, "train-images-idx3-ubyte.gz"), 0x803)
    train_labels = read_idx(os.path.join(arguments.data, "train-labels-idx1-ubyte.gz"), 0x801)
    test_images = read_idx(os.path.join(arguments.data, "t10k-images-idx3-ubyte.gz"), 0x803)
    test_labels = read_idx(os.path.join(arguments.data, "t10k-labels-idx1-ubyte.gz"), 0x801)
    with open(os.path.join(arguments.setup, "partition.txt"), encoding="utf-8") as file:
        silos = [torch.tensor([int(i) for i in line.split()], dtype=torch.int64) for line in file]
    assigned = torch.cat(silos)
    if len(assigned) != len(train_labels) or len(torch.unique(assigned)) != len(train_labels):
        sys.exit("partition.txt does not assign every training example exactly once")
    sizes = [len(silo) for silo in silos]

    model = small_cnn()
    if arguments.init == "fedsum":
        load_fedsum_model(model, arguments.setup)
    os.makedirs(arguments.state, exist_ok=True)
    model_file = os.path.join(arguments.state, "global-model.pt")
    curve_file = os.path.join(arguments.state, "curve.tsv")
    first_round = 1
    if os.path.exists(model_file) and os.path.exists(curve_file):
        saved = torch.load(model_file)
        # States written before --mu existed are FedAvg runs.
        if saved.get("mu", 0.0) != arguments.mu:
            sys.exit(f"{model_file} was trained with --mu {saved.get('mu', 0.0)}, not {arguments.mu}")
        model.load_state_dict(saved["model"])
        torch.set_rng_state(saved["rng"])
        first_round = saved["round"] + 1
        with open(curve_file, encoding="utf-8") as file:
            kept = [line for line in file if line.startswith("round") or int(line.split("\t")[0]) < first_round]
        with open(curve_file, "w", encoding="utf-8") as file:
            file.writelines(kept)
        print(f"resuming after round {saved['round']}", flush=True)
    else:
        with open(curve_file, "w", encoding="utf-8") as file:
            file.write(CURVE_HEADER)
    print(
        f"PyTorch {torch.__version__}, {sum(p.numel() for p in model.parameters())} parameters,"
        f" silo sizes {sizes}, init {arguments.init}, seed {arguments.seed}, FedProx mu {arguments.mu}",
        flush=True,
    )

    generator = torch.Generator()
    for round_number in range(first_round, arguments.rounds + 1):
        started = time.monotonic()
        # The shuffles of a round depend only on the seed and the round, so a resumed run draws
        # the same ones as an uninterrupted run.
        generator.manual_seed(arguments.seed * 1_000_003 + round_number)
        global_state = {name: value.clone() for name, value in model.state_dict().items()}
        weighted = {name: torch.zeros_like(value, dtype=torch.float64) for name, value in global_state.items()}
        for silo, indices in enumerate(silos):
            model.load_state_dict(global_state)
            train_silo(model, train_images[indices], train_labels[indices], arguments.local_epochs, generator, arguments.mu)
            for name, value in model.state_dict().items():
                weighted[name] += sizes[silo] * value.to(torch.float64)
        model.load_state_dict({name: (value / sum(sizes)).to(torch.float32) for name, value in weighted.items()})
        accuracy, loss = evaluate(model, test_images, test_labels)
        seconds = time.monotonic() - started
        temporary = model_file + ".tmp"
        torch.save(
            {"round": round_number, "model": model.state_dict(), "rng": torch.get_rng_state(), "mu": arguments.mu},
            temporary,
        )
        os.replace(temporary, model_file)
        with open(curve_file, "a", encoding="utf-8") as file:
            file.write(f"{round_number}\t{accuracy:.4f}\t{loss:.4f}\t{seconds:.1f}\n")
        print(f"  round {round_number}: test accuracy {100 * accuracy:.2f} %, loss {loss:.4f}, {seconds:.0f} s", flush=True)

    with open(curve_file, encoding="utf-8") as file:
        rows = [line.split("\t") for line in file][1:]
    best = max(rows, key=lambda row: float(row[1]))
    print(f"last round {100 * float(rows[-1][1]):.2f} %, best round {best[0]} at {100 * float(best[1]):.2f} %")


if __name__ == "__main__":
    main()
