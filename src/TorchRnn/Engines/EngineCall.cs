using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// What a kind's engine rule (<c>RecurrentKind.ChooseEngine</c>) knows of a call: where the parameters live, the
/// sequence length and batch, packed or dense, whether autograd records it and the module's mode.
/// </summary>
/// <param name="Device">The parameters' device type.</param>
/// <param name="DType">The parameters' dtype.</param>
/// <param name="Length">L: time steps (a packed sequence's longest).</param>
/// <param name="Batch">N (a packed sequence's first batch size).</param>
/// <param name="Packed">Whether the input is a packed sequence.</param>
/// <param name="Grad">Whether autograd records the call: enabled, and the input, a state or a parameter requires gradients.</param>
/// <param name="Training">The module's mode.</param>
internal readonly record struct EngineCall(DeviceType Device, ScalarType DType, long Length, long Batch, bool Packed, bool Grad, bool Training);
