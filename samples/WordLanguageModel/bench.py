#!/usr/bin/python3
"""Speed of the C# sample against PyTorch 1.13 on this machine: the table in the README's language-model section.

    /usr/bin/python3 samples/WordLanguageModel/bench.py [--rounds 3] [--threads 1,2] [--words 1000] [--out FILE]

Builds the C# sample (Release), then in each round and for each thread count runs, in alternating order (C# first
in one round, PyTorch first in the next, so that a change in the machine's load falls on both):
  training: the sample's defaults (LSTM, 2 layers of 200 units, bptt 35, batch 20) for one epoch on WikiText-2's
            validation split, then its test evaluation: `--epochs 1 --threads T`, timed by the programs themselves
            (--record: the epoch's training seconds, and training plus validation);
  generation: `generate --words W --threads T` from one checkpoint (the first PyTorch training run's), timed by the
            generators (the loop over words only, as their last line prints it).
Each side runs in its own process; startup, data loading and model construction are not timed. Writes a markdown
table of medians (with the range over rounds) and the ratios C#/PyTorch, with the date, the machine and the load
averages seen, to FILE (default: results/<date>-bench.md beside this script) and to standard output.

    /usr/bin/python3 samples/WordLanguageModel/bench.py --profile [--rounds 3] [--threads 1,2] [--out FILE]

times the pieces instead (the C# sample's `profile` command against pytorch/profile_steps.py, alternating): a
training batch, its forward pieces, the decoder's and the LSTM's forward and backward, clipping, the update, a
generation step and its pieces, each a median of 20 (200 for generation) in one process; the table gives the median
over rounds of each (default FILE: results/<date>-profile.md).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DLL = os.path.join(HERE, "bin", "Release", "net10.0", "WordLanguageModel.dll")
CSHARP = ["dotnet", DLL]
PYTHON = [sys.executable, os.path.join(HERE, "pytorch", "main.py")]
GENERATE = {"C#": CSHARP + ["generate"], "PyTorch": [sys.executable, os.path.join(HERE, "pytorch", "generate.py")]}
TRAIN = {"C#": CSHARP, "PyTorch": PYTHON}


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def train(side, threads, work):
    record = os.path.join(work, "record.json")
    save = os.path.join(work, "{}-{}.pt".format("csharp" if side == "C#" else "pytorch", threads))
    subprocess.run(TRAIN[side] + ["--epochs", "1", "--threads", str(threads), "--record", record, "--save", save],
                   check=True, stdout=subprocess.DEVNULL, cwd=work)
    with open(record) as f:
        r = json.load(f)
    epoch = r["epochs"][0]
    return dict(train=epoch["train_seconds"], epoch=epoch["seconds"], batches=len(r["batches"]), save=save)


def generate(side, threads, checkpoint, words, work):
    printed = subprocess.run(GENERATE[side] + ["--checkpoint", checkpoint, "--words", str(words), "--threads", str(threads),
                                               "--outf", os.path.join(work, "generated.txt"), "--log-interval", str(words)],
                             check=True, capture_output=True, text=True, cwd=work).stdout
    return float(re.search(r"\(([\d.]+) words/s\)", printed).group(1))


def profile(side, threads):
    command = CSHARP + ["profile", "--threads", str(threads)] if side == "C#" else \
        [sys.executable, os.path.join(HERE, "pytorch", "profile_steps.py"), str(threads)]
    printed = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [(name, float(ms)) for name, ms in (line.split("\t") for line in printed.strip().split("\n"))]


def machine(args, started, loads):
    text = machine(args, started, loads) + (" One epoch = {} batches of 35 x 20 words, vocabulary 18,328 (WikiText-2 "
                                            "valid + test). Medians over rounds, range in brackets.").format(batches)
    write(out, text + "\n\n" + "\n".join(lines) + "\n")


def write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
