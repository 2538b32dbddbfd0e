namespace TorchRnn.Onnx.Kinds;

/// <summary>
/// <see cref="TorchRnn.Kinds.PeepholeLstmKind"/>'s step on OnnxTensor, for float64 (float32 goes to ONNX's own LSTM with
/// its <c>P</c> input).
/// </summary>
internal sealed class PeepholeLstmOnnx : IOnnxKind
{
    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights) => LstmOnnx.Folded(input, weights);

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var c = state.c!;
        var gates = (input + state.h.matmul(weights["weight_hh"].transpose(0, 1))).chunk(4, 1);
        var i = (gates[0] + weights["weight_ci"] * c).sigmoid();
        var f = (gates[1] + weights["weight_cf"] * c).sigmoid();
        var next = f * c + i * gates[2].tanh();
        var o = (gates[3] + weights["weight_co"] * next).sigmoid();
        return (o * next.tanh(), next);
    }
}
