#!/usr/bin/python3
"""The plain LSTM and AWD-LSTM side by side, in C# and in PyTorch: the table in the README's language-model section.

    /usr/bin/python3 samples/WordLanguageModel/awd_compare.py [--epochs 6] [--models LSTM,AWD] [--out DIR]

For each model it trains the C# sample (built here in Release) and its PyTorch 1.13 twin (pytorch/main.py) with the
same seed and options, for the same number of epochs, at the defaults of each model (LSTM: 2 layers of 200, lr 20,
dropout 0.2; AWD: awd-lstm-lm's WikiText-2 recipe at emsize 200, nhid 400, 3 layers), on the text the sample ships:
WikiText-2's validation split as training data, its test split for the test. The two sides of a model run at the
same time, one thread each, on a 2-core machine: each has a core, and both see the same load. Each writes a --record
file (every batch's loss, each epoch's validation loss and times, the test loss of the saved best model) into DIR.
Writes DIR/awd-compare.md: per model and side, the last epoch's mean training loss (dropout on) as a perplexity, the
perplexity of the training text in eval mode after each epoch (the sample's "valid ppl": without WikiText-2's
training split the validation text is the training text), the test perplexity of the final model, and the median
seconds of an epoch's training. --report-only rewrites the table from the records already in DIR.
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DLL = os.path.join(HERE, "bin", "Release", "net10.0", "WordLanguageModel.dll")
PYTHON_MAIN = os.path.join(HERE, "pytorch", "main.py")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def start(command, model, epochs, record, out, log):
    args = ["--model", model, "--epochs", str(epochs), "--threads", "1", "--record", record,
            "--save", os.path.join(out, os.path.basename(record).replace(".json", ".pt"))]
    return subprocess.Popen(command + args, stdout=log, stderr=subprocess.STDOUT, cwd=out)


def summary(record):
    last = max(b["epoch"] for b in record["batches"])
    train_loss = statistics.fmean(b["loss"] for b in record["batches"] if b["epoch"] == last)
    best_val = min(e["val_loss"] for e in record["epochs"])
    return dict(train_ppl=math.exp(train_loss), best_val_ppl=math.exp(best_val), test_ppl=math.exp(record["test_loss"]),
                epoch_s=statistics.median(e["train_seconds"] for e in record["epochs"]),
                val_ppls=[math.exp(e["val_loss"]) for e in record["epochs"]],
                switched=next((e["epoch"] for e in record["epochs"] if e.get("averaged")), None))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--models", default="LSTM,AWD")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "awd-compare"))
    parser.add_argument("--report-only", action="store_true", help="write the table from the records in --out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(DLL):
        sys.exit(f"{DLL} is missing: dotnet build -c Release samples/WordLanguageModel first")
    sides = {"C#": ["dotnet", DLL], "PyTorch": ["/usr/bin/python3", PYTHON_MAIN]}
    started = datetime.datetime.now(datetime.timezone.utc)
    when = f"Started {started:%Y-%m-%d %H:%M} UTC"
    if args.report_only:
        last = max(os.path.getmtime(os.path.join(args.out, f)) for f in os.listdir(args.out) if f.endswith(".json"))
        when = f"Runs finished {datetime.datetime.fromtimestamp(last, datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    results = {}
    for model in args.models.split(","):
        if args.report_only:
            for side in sides:
                with open(os.path.join(args.out, f"{model.lower()}-{'cs' if side == 'C#' else 'py'}.json")) as f:
                    results[(model, side)] = summary(json.load(f))
            continue
        procs = []
        for side, command in sides.items():
            tag = f"{model.lower()}-{'cs' if side == 'C#' else 'py'}"
            log = open(os.path.join(args.out, tag + ".log"), "w")
            record = os.path.join(args.out, tag + ".json")
            procs.append((side, record, log, start(command, model, args.epochs, record, args.out, log)))
        t0 = time.time()
        for side, record, log, proc in procs:
            if proc.wait() != 0:
                sys.exit(f"{model} on {side} failed: see {log.name}")
            log.close()
            with open(record) as f:
                results[(model, side)] = summary(json.load(f))
        print(f"{model}: both sides done in {time.time() - t0:.0f} s", flush=True)

    load = os.getloadavg()[0]
    lines = [
        f"## Plain LSTM and AWD-LSTM, {args.epochs} epochs, C# and PyTorch",
        "",
        f"- {when}; CPU: {cpu_model()}, {os.cpu_count()} cores; load average at the end {load:.2f}",
        f"- Command: `/usr/bin/python3 samples/WordLanguageModel/awd_compare.py --epochs {args.epochs} --models {args.models}`",
        "- Data: WikiText-2's validation split as training text, its test split for the test; the "
        "vocabulary of all three splits the sample ships. Each model at its defaults (LSTM: 2 x 200, lr 20, dropout 0.2, "
        "lr / 4 when validation stops improving; AWD: emsize 200, nhid 400, 3 layers, lr 30, dropouts 0.4/0.2/0.65/0.1, "
        "WeightDrop 0.5, AR 2, TAR 1, weight decay 1.2e-6, NT-ASGD with nonmono 5), seed 1111, bptt 35, batch 20.",
        "- C# and PyTorch of a model ran at the same time, one thread each. Training ppl: the mean loss of the last "
        "epoch's batches (dropout on). Training text, eval: the sample's \"valid ppl\" (the validation text is the "
        "training text here), after each epoch. Test ppl: of the saved model, the epoch best on that measure (AWD after "
        "NT-ASGD's switch: the averaged weights).",
        "",
        "| model | side | training ppl, last epoch | training text ppl (eval) by epoch | test ppl | ASGD from epoch | s per epoch (training, median) |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for (model, side), r in results.items():
        lines.append(f"| {model} | {side} | {r['train_ppl']:.2f} | {', '.join(f'{v:.1f}' for v in r['val_ppls'])} | "
                     f"{r['test_ppl']:.2f} | {r['switched'] or '-'} | {r['epoch_s']:.1f} |")
    text = "\n".join(lines) + "\n"
    path = os.path.join(args.out, "awd-compare.md")
    with open(path, "w") as f:
        f.write(text)
    print(text)
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
