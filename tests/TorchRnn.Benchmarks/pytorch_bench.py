"""The cases of TorchRnn.Benchmarks, timed with PyTorch: same shapes, threads and passes; JSON out.

Forward runs under torch.no_grad(); forward+backward zeroes the gradients (set to None, as TorchSharp's zero_grad
does), then backpropagates the output's sum. LSTM-proj is PyTorch's own LSTM with proj_size = H // 2, which
PyTorch computes natively. The products (torch.mm) give the plain matrix-product rate for the GFLOP/s comparison.

Timing: one untimed call, warm-up calls for at least --warmup seconds, then timed calls until both --min-reps calls
and --min-time seconds are reached (at most --max-reps); each call is timed alone with time.perf_counter, and the
median and mean are reported.

    python3 pytorch_bench.py --sizes tutorial,medium --threads 1,2 --json out.json [--quick]
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


def main():
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
