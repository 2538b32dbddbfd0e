"""Groups a `perf report` of one workload (see results/*-profile-*.md) into where the time goes.

    perf report -i perf.data --no-children --sort dso,sym --stdio -g none | python3 profile_groups.py MS_PER_CALL

prints each group's share of the samples and its time per call (share x MS_PER_CALL), for one side of the comparison.
"""

import re
import sys

GROUPS = [  # first match wins: (group, regular expression on "dso symbol")
    ("matrix products (BLAS, with packing)", r"sgemm|mkl_blas|openblas"),
    ("tanh", r"[Tt]anh"),
    ("sigmoid and exp", r"sigmoid|expf|Sleef_finz_exp"),
    ("other elementwise kernels", r"VectorizedLoop2d|vectorized_loop|basic_loop|cpu_kernel"),
    ("memory (malloc, free, copies, page faults)", r"malloc|free|memmove|memcpy|unlink_chunk|page_fault|clear_page"),
    ("LibTorch dispatch and bookkeeping", r"libtorch_cpu|libc10"),
    (".NET runtime, JIT and TorchSharp's native glue", r"libcoreclr|libclrjit|doublemapper|LibTorchSharp|System\.|\.dll"),
    ("Python interpreter and PyTorch's bindings", r"python3|libtorch_python"),
    ("other", r"."),
]


def main():
    ms = float(sys.argv[1])
    totals = {g: 0.0 for g, _ in GROUPS}
    for line in sys.stdin:
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
        if not m:
            continue
        share, text = float(m.group(1)), m.group(2) + " " + m.group(3)
        group = next(g for g, pattern in GROUPS if re.search(pattern, text))
        totals[group] += share
    for group, _ in GROUPS:
        print(f"| {group} | {totals[group]:.1f} % | {totals[group] / 100 * ms:.2f} ms |")


if __name__ == "__main__":
    main()
