# Thread count for the PyTorch side of the sample. torch.set_num_threads sets PyTorch's own pool, but Debian's
# PyTorch does its matrix products in OpenBLAS, which keeps its own threads (one per core) unless told otherwise:
# without this, "--threads 1" still ran every GEMM on both cores of the 2-core machine the README's tables come from.
import ctypes

import torch


def set_num_threads(n):
    """torch.set_num_threads(n), and the same for the OpenBLAS this process loaded, if any."""
    torch.set_num_threads(n)
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line and "/" in line})
    except OSError:
        return
    for path in paths:
        try:
            ctypes.CDLL(path).openblas_set_num_threads(n)
            return
        except (OSError, AttributeError):
            continue
