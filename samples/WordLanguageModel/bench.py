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


def machine(started, loads):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    import torch
    return ("Measured {} UTC by samples/WordLanguageModel/bench.py ({}) on {}: {}, {} CPUs, {}; .NET SDK {}, TorchSharp "
            "0.107.0 / LibTorch 2.10.0 against PyTorch {} ({}). Load average (1 min) seen between runs: {:.1f} to "
            "{:.1f}.").format(started, " ".join(sys.argv[1:]) or "defaults", platform.node(), cpu, os.cpu_count(),
                              platform.platform(), dotnet, torch.__version__, sys.executable, min(loads), max(loads))


def run_profile(args, threads):
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    loads = [load()]
    results = {}
    for round_ in range(args.rounds):
        for t in threads:
            for side in (["C#", "PyTorch"] if (round_ + t) % 2 == 0 else ["PyTorch", "C#"]):
                for name, ms in profile(side, t):
                    results.setdefault((t, name), {}).setdefault(side, []).append(ms)
                loads.append(load())
            print("round {} threads {} done".format(round_ + 1, t), flush=True)
    lines = ["| threads | piece | C# ms | PyTorch ms | C#/PyTorch |", "|---:|---|---:|---:|---:|"]
    for (t, name), sides in results.items():
        c, p = statistics.median(sides["C#"]), statistics.median(sides["PyTorch"])
        lines.append("| {} | {} | {:.3f} | {:.3f} | {:.2f} |".format(t, name, c, p, c / p))
    return machine(started, loads) + " Medians over rounds of each piece's median in its process.\n\n" + "\n".join(lines) + "\n"


def run_bench(args, threads):
    results = {(side, t): dict(train=[], epoch=[], words=[]) for side in TRAIN for t in threads}
    loads = [load()]
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    checkpoint = None
    batches = 0
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            for t in threads:
                order = ["C#", "PyTorch"] if (round_ + t) % 2 == 0 else ["PyTorch", "C#"]
                for side in order:
                    run = train(side, t, work)
                    if checkpoint is None and side == "PyTorch":
                        checkpoint = os.path.join(work, "bench-checkpoint.pt")
                        os.replace(run["save"], checkpoint)
                    results[(side, t)]["train"].append(run["train"])
                    results[(side, t)]["epoch"].append(run["epoch"])
                    batches = run["batches"]
                    loads.append(load())
                for side in order:  # both have trained by now, so PyTorch's checkpoint exists
                    results[(side, t)]["words"].append(generate(side, t, checkpoint, args.words, work))
                    loads.append(load())
                print("round {} threads {}: {}".format(round_ + 1, t, {s: {k: v[-1] for k, v in results[(s, t)].items() if v}
                                                                      for s in order}), flush=True)

    lines = ["| threads | epoch of training, C# | PyTorch | C#/PyTorch | ms/batch, C# | PyTorch "
             "| training + validation, C# | PyTorch | words/s generated, C# | PyTorch | C#/PyTorch (speed) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in threads:
        c, p = results[("C#", t)], results[("PyTorch", t)]
        lines.append("| {} | {} s | {} s | {:.2f} | {} | {} | {} s | {} s | {} | {} | {:.2f} |".format(
            t, cell(c["train"], 1), cell(p["train"], 1), statistics.median(c["train"]) / statistics.median(p["train"]),
            cell([1000 * s / batches for s in c["train"]], 0), cell([1000 * s / batches for s in p["train"]], 0),
            cell(c["epoch"], 1), cell(p["epoch"], 1), cell(c["words"], 0), cell(p["words"], 0),
            statistics.median(c["words"]) / statistics.median(p["words"])))
    return (machine(started, loads) + " One epoch = {} batches of 35 x 20 words, vocabulary 18,328 (WikiText-2 valid + "
            "test). Medians over rounds, range in brackets.\n\n").format(batches) + "\n".join(lines) + "\n"


def cell(values, digits):
    fmt = "{:.%df}" % digits
    return fmt.format(statistics.median(values)) + (" ({}–{})".format(fmt.format(min(values)), fmt.format(max(values)))
                                                    if len(values) > 1 else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="time the pieces of the work instead")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    out = args.out or os.path.join(HERE, "results", time.strftime("%Y-%m-%d") + ("-profile.md" if args.profile else "-bench.md"))
    subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "-nologo", os.path.join(HERE, "WordLanguageModel.csproj")],
                   check=True, stdout=subprocess.DEVNULL)
    write(out, run_profile(args, threads) if args.profile else run_bench(args, threads))


def write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
