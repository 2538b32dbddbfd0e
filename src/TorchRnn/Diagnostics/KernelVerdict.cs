namespace TorchRnn.Diagnostics;

/// <summary>
/// What TorchRnn's kernel check found when it compared a vendor kernel (LibTorch's, oneDNN's) with its own reference
/// engine on the first call of one configuration.
/// </summary>
/// <param name="Kernel">The vendor kernel, for example <c>LibTorch's LSTM kernel (oneDNN for float32 on the CPU)</c>.</param>
/// <param name="Configuration">
/// The module and call it holds for: the module's repr, dtype, device, gradient and training mode, batch size, and
/// whether the input was packed.
/// </param>
/// <param name="Right">Whether every output and final state agreed with the reference within <paramref name="Tolerance"/>.</param>
/// <param name="LargestDifference">The largest absolute difference from the float64 reference.</param>
/// <param name="Tolerance">The relative tolerance: an element agrees when its difference is at most Tolerance * (1 + |reference|).</param>
public sealed record KernelVerdict(string Kernel, string Configuration, bool Right, double LargestDifference, double Tolerance)
{
    /// <summary>The verdict in one line, as the self-check and the warning print it.</summary>
    /// <returns>For example <c>wrong: LibTorch's LSTM kernel ... for LSTM(6, 6) ..., largest difference 0.0917</c>.</returns>
    public override string ToString()
        => $"{(Right ? "right" : "wrong")}: {Kernel} for {Configuration}; largest difference {LargestDifference:G3} (tolerance {Tolerance:G3} relative)";
}
