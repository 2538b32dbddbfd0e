using System;

namespace TorchRnn.Engines;

/// <summary>A layout of one layer-direction's W_ih and W_hh that <see cref="WeightCopies"/> makes and keeps.</summary>
/// <typeparam name="TSelf">The layout.</typeparam>
internal interface IWeightCopy<TSelf> where TSelf : class, IWeightCopy<TSelf>
{
    /// <summary>
    /// The copy of <paramref name="wIh"/> (G * H, H_in) and <paramref name="wHh"/> (G * H, H_out): G * H is
    /// <paramref name="gateRows"/>, of which the first <paramref name="summed"/> take both products summed.
    /// </summary>
    static abstract TSelf Make(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int summed, int gateRows, int features, int width);
}
