"""The cases of TorchRnn.Benchmarks, timed with PyTorch: same shapes, threads and passes; JSON out.

Forward runs under torch.no_grad(); forward+backward zeroes the gradients (set to None, as TorchSharp's zero_grad
does), then backpropagates the output's sum. LSTM-proj is PyTorch's own LSTM with proj_size = H // 2, which
PyTorch computes natively. The products (torch.mm) give the plain matrix-product rate for the GFLOP/s comparison.

Timing: one untimed call, warm-up calls for at least --warmup seconds, then timed calls until both --min-reps calls
and --min-time seconds are reached (at most --max-reps); each call is timed alone with time.perf_counter, and the
median and mean are reported.

    python3 pytorch_bench.py --sizes tutorial,medium --threads 1,2 --json out.json [--quick]

With --serve it is the PyTorch side of TorchRnn.Benchmarks' --versus-pytorch: it reads commands on stdin, one a
line, and answers each with one line of JSON on stdout, so that the C# runner can time the two sides in alternating
blocks. Commands: "threads N", "setup WORKLOAD", "run WORKLOAD CALLS" (answers the block's wall and CPU seconds),
"quit". The workloads are those of Workloads.cs, under the same names.
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import statistics
import sys
import time

import torch

SIZES = {  # L, N, H_in, H, layers: as in Cases.cs
    "tutorial": (1, 3, 5, 6, 2),
    "medium": (50, 32, 64, 128, 2),
    "large": (200, 64, 256, 512, 2),
}
MODULES = ["RNN", "LSTM", "GRU", "LSTM-proj"]
MATMULS = {"64x512x2048": (64, 512, 2048), "2048x2048x2048": (2048, 2048, 2048)}


def openblas():
    """The OpenBLAS that torch loaded, if any: torch.set_num_threads does not reach it, so it is set directly."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_set_num_threads
            return lib
        except (OSError, AttributeError):
            continue
    return None


def set_threads(n, blas):
    torch.set_num_threads(n)
    if blas is not None:
        blas.openblas_set_num_threads(n)


def make(module, size):
    L, N, H_in, H, layers = SIZES[size]
    torch.manual_seed(0)
    if module == "RNN":
        m = torch.nn.RNN(H_in, H, layers)
    elif module == "GRU":
        m = torch.nn.GRU(H_in, H, layers)
    elif module == "LSTM":
        m = torch.nn.LSTM(H_in, H, layers)
    else:
        m = torch.nn.LSTM(H_in, H, layers, proj_size=H // 2)
    return m, torch.randn(L, N, H_in)


def measure(fn, args):
    fn()
    start = time.perf_counter()
    while time.perf_counter() - start < args.warmup:
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < args.max_reps and (len(times) < args.min_reps or time.perf_counter() - start < args.min_time):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "mean_s": statistics.fmean(times),
            "min_s": min(times), "reps": len(times)}


class StepRun:
    """One generation step: input (1, N, H), the state carried from call to call, no gradients."""

    def __init__(self, mode, hidden, batch):
        torch.manual_seed(0)
        self.m = getattr(torch.nn, mode)(hidden, hidden, 2)
        self.x = torch.randn(1, batch, hidden)
        self.state = None

    def __call__(self):
        with torch.no_grad():
            _, self.state = self.m(self.x, self.state)


class PackedRun:
    """32 sequences of 10 to 100 steps, packed unsorted, through a one-layer (64, 128) module."""

    def __init__(self, mode, train):
        torch.manual_seed(0)
        self.m = getattr(torch.nn, mode)(64, 128)
        sequences = [torch.randn(10 + i * 90 // 31, 64) for i in range(32)]
        self.packed = torch.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False)
        self.train = train

    def __call__(self):
        if self.train:
            self.m.zero_grad(set_to_none=True)
            self.m(self.packed)[0].data.sum().backward()
        else:
            with torch.no_grad():
                self.m(self.packed)


class DenseRun:
    """A dense sequence (L, N, H_in) through a module."""

    def __init__(self, mode, input_size, hidden, layers, length, batch, proj_size, train):
        torch.manual_seed(0)
        kwargs = {"proj_size": proj_size} if proj_size else {}
        self.m = getattr(torch.nn, mode)(input_size, hidden, layers, **kwargs)
        self.x = torch.randn(length, batch, input_size)
        self.train = train

    def __call__(self):
        if self.train:
            self.m.zero_grad(set_to_none=True)
            self.m(self.x)[0].sum().backward()
        else:
            with torch.no_grad():
                self.m(self.x)


WORKLOADS = {  # as Workloads.cs
    "lstm-step-256": lambda: StepRun("LSTM", 256, 1),
    "lstm-step-512x8": lambda: StepRun("LSTM", 512, 8),
    "gru-step-256": lambda: StepRun("GRU", 256, 1),
    "gru-step-512x8": lambda: StepRun("GRU", 512, 8),
    "lstm-packed": lambda: PackedRun("LSTM", False),
    "gru-packed": lambda: PackedRun("GRU", False),
    "lstm-packed-train": lambda: PackedRun("LSTM", True),
    "gru-packed-train": lambda: PackedRun("GRU", True),
    "lstm-proj": lambda: DenseRun("LSTM", 64, 128, 1, 50, 32, 64, False),
    "lstm-proj-train": lambda: DenseRun("LSTM", 64, 128, 1, 50, 32, 64, True),
    "rnn-tutorial": lambda: DenseRun("RNN", 5, 6, 2, 1, 3, 0, False),
    "lstm-tutorial": lambda: DenseRun("LSTM", 5, 6, 2, 1, 3, 0, False),
    "gru-tutorial": lambda: DenseRun("GRU", 5, 6, 2, 1, 3, 0, False),
    "lstm-tutorial-train": lambda: DenseRun("LSTM", 5, 6, 2, 1, 3, 0, True),
    "lstm-medium": lambda: DenseRun("LSTM", 64, 128, 2, 50, 32, 0, False),
    "gru-medium": lambda: DenseRun("GRU", 64, 128, 2, 50, 32, 0, False),
}


def serve():
    """The PyTorch side of --versus-pytorch: one command a line on stdin, one JSON line back on stdout."""
    blas = openblas()
    runs = {}
    reply = lambda **kw: print(json.dumps(kw), flush=True)
    reply(ready=True, pytorch=torch.__version__, python=platform.python_version(),
          blas="OpenBLAS" if blas is not None else "no OpenBLAS found")
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "threads":
            set_threads(int(words[1]), blas)
            reply(ok=True)
        elif words[0] == "setup":
            runs[words[1]] = WORKLOADS[words[1]]()
            runs[words[1]]()
            reply(ok=True)
        elif words[0] == "run":
            run, calls = runs[words[1]], int(words[2])
            wall, cpu = time.perf_counter(), time.thread_time()
            for _ in range(calls):
                run()
            reply(wall_s=time.perf_counter() - wall, cpu_s=time.thread_time() - cpu)
        else:
            reply(error=f"unknown command {words[0]}")


def run_workload(name, seconds):
    """--run NAME SECONDS: one workload on one thread, warmed up for 2 s, then called for SECONDS (for a profiler)."""
    set_threads(1, openblas())
    run = WORKLOADS[name]()
    for phase, length in (("warm-up", 2.0), ("measured", seconds)):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < length:
            run()
            calls += 1
        print(f"{name} {phase}: {calls} calls, {(time.perf_counter() - start) / calls * 1e3:.3f} ms per call")


def serve_or_run(workloads, usage):
    """The main of a script that adds workloads (custom_lstm_bench.py, awd_bench.py): --serve or --run NAME SECONDS
    over pytorch_bench's workloads and these; without either, prints usage and returns 2."""
    WORKLOADS.update(workloads)  # serve and run_workload look their workloads up there
    if "--serve" in sys.argv:
        serve()
    elif "--run" in sys.argv:
        at = sys.argv.index("--run")
        run_workload(sys.argv[at + 1], float(sys.argv[at + 2]))
    else:
        print(usage, file=sys.stderr)
        return 2
    return 0


def main():
    if "--serve" in sys.argv:
        serve()
        return
    if "--run" in sys.argv:
        at = sys.argv.index("--run")
        run_workload(sys.argv[at + 1], float(sys.argv[at + 2]))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="tutorial,medium,large")
    p.add_argument("--modules", default=",".join(MODULES))
    p.add_argument("--threads", default="1," + str(os.cpu_count()))
    p.add_argument("--matmul", action="store_true", help="also time the reference products")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (as BenchmarkDotNet's short job)")
    p.add_argument("--json", help="write the results here (default: stdout)")
    args = p.parse_args()
    args.warmup, args.min_time, args.min_reps, args.max_reps = (0.2, 0.5, 3, 200) if args.quick else (1.0, 3.0, 10, 10000)

    blas = openblas()
    results = {
        "pytorch": torch.__version__,
        "python": platform.python_version(),
        "blas": "OpenBLAS (threads set with openblas_set_num_threads)" if blas is not None else "no OpenBLAS found",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "timing": {"warmup_s": args.warmup, "min_time_s": args.min_time, "min_reps": args.min_reps, "max_reps": args.max_reps},
        "cases": [],
        "matmul": [],
    }
    for threads in [int(t) for t in args.threads.split(",") if t]:
        set_threads(threads, blas)
        for size in [s for s in args.sizes.split(",") if s]:
            for module in [m for m in args.modules.split(",") if m]:
                m, x = make(module, size)

                def forward():
                    with torch.no_grad():
                        m(x)

                def forward_backward():
                    m.zero_grad(set_to_none=True)
                    m(x)[0].sum().backward()

                for name, fn in (("forward", forward), ("forward+backward", forward_backward)):
                    r = measure(fn, args)
                    r.update(module=module, size=size, threads=threads, **{"pass": name})
                    results["cases"].append(r)
                    print(f"{module:9} {size:8} threads={threads} {name:16} median {r['median_s'] * 1e3:10.4f} ms"
                          f" ({r['reps']} reps)", file=sys.stderr, flush=True)
        if args.matmul:
            for name, (m_, k, n) in MATMULS.items():
                torch.manual_seed(0)
                a, b = torch.randn(m_, k), torch.randn(k, n)
                r = measure(lambda: torch.mm(a, b), args)
                r.update(shape=name, threads=threads)
                results["matmul"].append(r)
                print(f"mm {name:16} threads={threads} median {r['median_s'] * 1e3:10.4f} ms", file=sys.stderr, flush=True)

    text = json.dumps(results, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
