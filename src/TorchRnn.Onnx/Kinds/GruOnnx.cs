namespace TorchRnn.Onnx.Kinds;

/// <summary>GRU's step on OnnxTensor: b_hh stays with the recurrent product, which r scales in n.</summary>
internal sealed class GruOnnx : IOnnxKind
{
    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights)
    {
        var product = input.matmul(weights["weight_ih"].transpose(0, 1));
        return weights.get("bias_ih") is { } b_ih ? product + b_ih : product;
    }

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var recurrent = state.h.matmul(weights["weight_hh"].transpose(0, 1));
        if (weights.get("bias_hh") is { } b_hh) recurrent += b_hh;
        var xs = input.chunk(3, 1);
        var hs = recurrent.chunk(3, 1);
        var r = (xs[0] + hs[0]).sigmoid();
        var z = (xs[1] + hs[1]).sigmoid();
        var n = (xs[2] + r * hs[2]).tanh();
        return (n + z * (state.h - n), null);
    }
}
