namespace TorchRnn.Engines;

/// <summary>
/// The identity of one layer-direction's weight values, as <see cref="WeightCopies"/> compares them: each weight's data
/// address and LibTorch version (<see cref="TensorVersion"/>).
/// </summary>
internal readonly record struct WeightStamp(nint InputData, long InputVersion, nint HiddenData, long HiddenVersion);
