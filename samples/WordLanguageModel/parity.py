#!/usr/bin/python3
"""How far the C# sample's numbers agree with PyTorch's: the table in the README's language-model section.

    /usr/bin/python3 samples/WordLanguageModel/parity.py [--runs quick,gru,tanh,relu,full] [--out DIR]

For each run below it trains three times with the same seed and options, each on one thread: PyTorch 1.13 (the
twin in pytorch/main.py), the same PyTorch run in float64 (--float64: the float32 initial weights converted, the
same dropout masks), and the C# sample (built here in Release). All write --record files (every batch's loss and
gradient norm, each epoch's validation loss, the test loss) into DIR. The float64 run is exact arithmetic to
float32's eyes: how far PyTorch's own float32 run lies from it is the rounding error that float32 carries, and a C#
run that agrees with PyTorch much better than that agrees as far as float32 can tell. Prints a markdown table and
writes it to DIR/parity.md.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DLL = os.path.join(HERE, "bin", "Release", "net10.0", "WordLanguageModel.dll")

RUNS = {
    "quick": ("LSTM, --quick (32 units, lr 2, 2 epochs)", ["--quick"]),
    "gru": ("GRU tied, --quick, 1 epoch", ["--quick", "--epochs", "1", "--model", "GRU", "--tied"]),
    "tanh": ("RNN_TANH, --quick, 1 epoch", ["--quick", "--epochs", "1", "--model", "RNN_TANH"]),
    "relu": ("RNN_RELU, --quick, 1 epoch, lr 0.5", ["--quick", "--epochs", "1", "--model", "RNN_RELU", "--lr", "0.5"]),
    "full": ("LSTM, defaults (200 units, lr 20), 1 epoch", ["--epochs", "1"]),
}


def train(command, args, record, out):
    subprocess.run(command + args + ["--threads", "1", "--record", record, "--save", os.path.join(out, "parity.pt")],
                   check=True, stdout=subprocess.DEVNULL, cwd=out)
    with open(record) as f:
        return json.load(f)


def first_above(diffs, threshold):
    return next((i for i, d in enumerate(diffs) if d > threshold), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default=",".join(RUNS), help="which runs, of: " + ", ".join(RUNS))
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "wlm-parity"),
                        help="folder for the records and parity.md (default: wlm-parity in the temporary folder)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "-nologo", os.path.join(HERE, "WordLanguageModel.csproj")],
                   check=True, stdout=subprocess.DEVNULL)

    rows = []
    for name in args.runs.split(","):
        title, options = RUNS[name]
        print("==", title, flush=True)
        python = [sys.executable, os.path.join(HERE, "pytorch", "main.py")]
        py = train(python, options, os.path.join(args.out, name + "-pytorch.json"), args.out)
        py64 = train(python, options + ["--float64"], os.path.join(args.out, name + "-pytorch-float64.json"), args.out)
        cs = train(["dotnet", DLL], options, os.path.join(args.out, name + "-csharp.json"), args.out)

        def losses(r):
            return [b["loss"] for b in r["batches"]]
        cs_diff = [abs(c - p) for c, p in zip(losses(cs), losses(py))]
        f64_diff = [abs(d - p) for d, p in zip(losses(py64), losses(py))]
        rel = max(d / abs(p) for d, p in zip(cs_diff, losses(py)))
        first = first_above(cs_diff, 1e-3)
        ppl = lambda loss: "{:.2f}".format(math.exp(loss))
        rows.append("| {} | {} | {:.1e} ({:.1e} rel.) | {:.1e} | {} | {} / {} / {} | {} / {} / {} |".format(
            title, len(cs_diff), max(cs_diff), rel, max(f64_diff), "none" if first is None else first,
            ppl(py["epochs"][-1]["val_loss"]), ppl(cs["epochs"][-1]["val_loss"]), ppl(py64["epochs"][-1]["val_loss"]),
            ppl(py["test_loss"]), ppl(cs["test_loss"]), ppl(py64["test_loss"])))
        print(rows[-1], flush=True)

    table = "\n".join([
        "| run | batches | largest loss difference, C# vs PyTorch | largest loss difference, PyTorch float32 vs float64 "
        "| first batch where C# and PyTorch differ by more than 1e-3 | valid ppl PyTorch / C# / float64 "
        "| test ppl PyTorch / C# / float64 |",
        "|---|---:|---:|---:|---:|---:|---:|"] + rows)
    with open(os.path.join(args.out, "parity.md"), "w") as f:
        f.write("Made by samples/WordLanguageModel/parity.py on {} ({} UTC), one thread each.\n\n{}\n".format(
            os.uname().nodename, time.strftime("%Y-%m-%d %H:%M", time.gmtime()), table))
    print(table)


if __name__ == "__main__":
    main()
