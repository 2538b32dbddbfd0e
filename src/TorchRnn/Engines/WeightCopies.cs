using System;
using System.Threading;

namespace TorchRnn.Engines;

/// <summary>
/// A fused engine's copies of each layer-direction's weights in one layout (<see cref="PackedWeights"/>,
/// <see cref="TransposedWeights"/>), each kept with the <see cref="WeightStamp"/> it was made from and used only while
/// the weights still carry it. A copy is made at the second call that finds the weights unchanged: weights that change
/// between every two calls (a loop that takes an optimiser step before each generated step) never get one, since a copy
/// each call would cost more than it saves.
/// </summary>
/// <remarks>
/// Every in-place change through LibTorch moves a weight's version on (an optimiser's step, <c>copy_</c>,
/// <c>load_state_dict</c>, <c>set_</c>); writes straight into a weight's memory (a span over <c>data&lt;float&gt;()</c> or
/// <c>bytes</c>) do not, and <c>flatten_parameters()</c> drops the copies (<see cref="Drop"/>). Calls from several
/// threads at once see either a complete copy with its stamp or none: a copy is published whole, and a torn read of the
/// last call's stamp only makes or skips one copy.
/// </remarks>
internal sealed class WeightCopies(int count)
{
    /// <summary>Whether engines may make and use copies (tests and the benchmarks' A/B set it); only where versions can be read.</summary>
    internal static bool Enabled { get; set; } = TensorVersion.Available;

    private sealed record Entry(object Copy, WeightStamp Made);

    private readonly Entry?[] _entries = new Entry?[count];
    private readonly WeightStamp[] _seen = new WeightStamp[count];

    /// <summary>
    /// Layer-direction <paramref name="at"/>'s copy for weights carrying <paramref name="stamp"/>: the one kept, or a
    /// new one (<see cref="IWeightCopy{TSelf}.Make"/>) if the call before saw the same stamp; null otherwise. A new stamp
    /// drops the stale copy, whose memory then goes back at once rather than when the weights next settle.
    /// </summary>
    public T? For<T>(int at, WeightStamp stamp, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int summed, int gateRows, int features, int width)
        where T : class, IWeightCopy<T>
    {
        if (Volatile.Read(ref _entries[at]) is { } entry && entry.Made == stamp) return (T)entry.Copy;
        if (_seen[at] != stamp)
        {
            _seen[at] = stamp;
            Volatile.Write(ref _entries[at], null);
            return null;
        }
        var copy = T.Make(wIh, wHh, summed, gateRows, features, width);
        Volatile.Write(ref _entries[at], new Entry(copy, stamp));
        return copy;
    }

    /// <summary>Drops every copy; the next calls make them again.</summary>
    public void Drop()
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            Volatile.Write(ref _entries[i], null);
            _seen[i] = default;
        }
    }

    /// <summary>How many layer-directions hold a copy now.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var entry in _entries) count += entry is null ? 0 : 1;
            return count;
        }
    }
}
