namespace TorchRnn.Kinds;

/// <summary>ONNX's recurrent operator for a kind: <c>RNN</c>, <c>GRU</c> or <c>LSTM</c>.</summary>
/// <param name="Op">The operator.</param>
/// <param name="GateOrder">PyTorch's gate blocks in ONNX's order (ONNX stacks i, o, f, c and z, r, h).</param>
/// <param name="Activation">RNN's activation (<c>Tanh</c>, <c>Relu</c>), or null for the operator's defaults.</param>
/// <param name="LinearBeforeReset">GRU: PyTorch applies r after the hidden product, ONNX's <c>linear_before_reset = 1</c>.</param>
/// <param name="Peepholes">LSTM with peepholes: <c>weight_ci</c>, <c>weight_co</c>, <c>weight_cf</c> become ONNX's <c>P</c> input (i, o, f).</param>
internal sealed record OnnxOperator(string Op, long[] GateOrder, string? Activation = null, bool LinearBeforeReset = false, bool Peepholes = false);
