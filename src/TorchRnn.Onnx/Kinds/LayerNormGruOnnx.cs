namespace TorchRnn.Onnx.Kinds;

/// <summary><see cref="TorchRnn.Kinds.LayerNormGruKind"/>'s step on OnnxTensor.</summary>
internal sealed class LayerNormGruOnnx : IOnnxKind
{
    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights)
        => input.matmul(weights["weight_ih"].transpose(0, 1)).layer_norm(weights["weight_ln_ih"], weights.get("bias_ln_ih"), TorchRnn.Kinds.LayerNormLstmKind.eps);

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var hs = state.h.matmul(weights["weight_hh"].transpose(0, 1))
            .layer_norm(weights["weight_ln_hh"], weights.get("bias_ln_hh"), TorchRnn.Kinds.LayerNormLstmKind.eps).chunk(3, 1);
        var xs = input.chunk(3, 1);
        var r = (xs[0] + hs[0]).sigmoid();
        var z = (xs[1] + hs[1]).sigmoid();
        var n = (xs[2] + r * hs[2]).tanh();
        return (n + z * (state.h - n), null);
    }
}
