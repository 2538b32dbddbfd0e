using System;
using TorchSharp;

namespace TorchRnn.Tests.Support;

/// <summary>
/// Runs LibTorch's intra-op work on one thread until disposed, then restores the previous count. For tests that
/// make thousands of calls on tiny tensors: on a busy two-core machine, LibTorch's worker threads wait for each
/// other on every small parallel region (a native LSTM step took 15 ms instead of 0.3 ms), while one thread gives
/// the same results. The setting is process-wide, so only tests that run alone (NUnit's default here) use it.
/// </summary>
public sealed class OneIntraOpThread : IDisposable
{
    private readonly int _previous = torch.get_num_threads();

    public OneIntraOpThread() => torch.set_num_threads(1);

    public void Dispose() => torch.set_num_threads(_previous);
}
