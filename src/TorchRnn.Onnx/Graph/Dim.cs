namespace TorchRnn.Onnx.Graph;

/// <summary>One dimension of a graph input or output: a fixed size, a named dynamic axis, or unknown.</summary>
/// <param name="Size">The fixed size, or null.</param>
/// <param name="Name">The dynamic axis's name (ONNX's <c>dim_param</c>), or null.</param>
internal readonly record struct Dim(long? Size, string? Name);
