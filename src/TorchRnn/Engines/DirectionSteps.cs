namespace TorchRnn.Engines;

/// <summary>
/// One layer-direction of a <see cref="SteppedRecurrence"/> over one input, prepared: what each time step computes.
/// </summary>
internal abstract class DirectionSteps
{
    /// <summary>The state after step <paramref name="t"/>, from the state before it (whose batch is step t's).</summary>
    public abstract HiddenState Step(int t, HiddenState state);
}
