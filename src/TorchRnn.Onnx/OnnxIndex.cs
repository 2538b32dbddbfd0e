using System;
using static TorchSharp.torch;

namespace TorchRnn.Onnx;

/// <summary>
/// One index of <see cref="OnnxTensor"/>'s indexer: an integer (select), a range (slice, step 1) or
/// <see cref="Ellipsis"/>. Converts implicitly from <c>long</c>, <see cref="System.Index"/> and <see cref="Range"/>,
/// so <c>x[.., -1]</c> and <c>x[^1]</c> read as for a TorchSharp tensor.
/// </summary>
public readonly struct OnnxIndex : IEquatable<OnnxIndex>
{
    private OnnxIndex(long? single, Index? start, Index? end, bool ellipsis)
    {
        Single = single;
        Start = start;
        End = end;
        IsEllipsis = ellipsis;
    }

    /// <summary>The axes not named by the other indices (PyTorch's <c>...</c>).</summary>
    public static OnnxIndex Ellipsis { get; } = new(null, null, null, true);

    internal long? Single { get; }

    internal Index? Start { get; }

    internal Index? End { get; }

    internal bool IsEllipsis { get; }

    /// <summary>Selects one position (negative counts from the end).</summary>
    /// <param name="index">The position.</param>
    public static implicit operator OnnxIndex(long index) => new(index, null, null, false);

    /// <summary>Selects one position; <c>^1</c> is the last.</summary>
    /// <param name="index">The position.</param>
    public static implicit operator OnnxIndex(Index index) => new(index.IsFromEnd ? -(long)index.Value : index.Value, null, null, false);

    /// <summary>Slices a range with step 1; <c>..</c> keeps the whole axis.</summary>
    /// <param name="range">The range.</param>
    public static implicit operator OnnxIndex(Range range)
        => new(null, range.Start.Equals(Index.Start) ? null : range.Start, range.End.Equals(Index.End) ? null : range.End, false);

    /// <summary>The index as an integer, for languages without implicit conversions.</summary>
    /// <param name="index">The position.</param>
    /// <returns>The index.</returns>
    public static OnnxIndex FromInt64(long index) => index;

    /// <summary>The index as a range, for languages without implicit conversions.</summary>
    /// <param name="range">The range.</param>
    /// <returns>The index.</returns>
    public static OnnxIndex FromRange(Range range) => range;

    /// <inheritdoc />
    public bool Equals(OnnxIndex other)
        => Single == other.Single && Nullable.Equals(Start, other.Start) && Nullable.Equals(End, other.End) && IsEllipsis == other.IsEllipsis;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is OnnxIndex other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Single, Start, End, IsEllipsis);

    /// <summary>Equality.</summary>
    /// <param name="left">One index.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they index alike.</returns>
    public static bool operator ==(OnnxIndex left, OnnxIndex right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">One index.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(OnnxIndex left, OnnxIndex right) => !left.Equals(right);

    internal TensorIndex ToTorch()
    {
        if (IsEllipsis) return TensorIndex.Ellipsis;
        if (Single is long s) return TensorIndex.Single(s);
        return TensorIndex.Slice(new Range(Start ?? Index.Start, End ?? Index.End));
    }
}
