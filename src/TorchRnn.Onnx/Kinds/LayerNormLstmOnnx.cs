namespace TorchRnn.Onnx.Kinds;

/// <summary><see cref="TorchRnn.Kinds.LayerNormLstmKind"/>'s step on OnnxTensor: LayerNormalization on both products and on c.</summary>
internal sealed class LayerNormLstmOnnx : IOnnxKind
{
    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights)
        => input.matmul(weights["weight_ih"].transpose(0, 1)).layer_norm(weights["weight_ln_ih"], weights.get("bias_ln_ih"), TorchRnn.Kinds.LayerNormLstmKind.eps);

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var eps = TorchRnn.Kinds.LayerNormLstmKind.eps;
        var recurrent = state.h.matmul(weights["weight_hh"].transpose(0, 1)).layer_norm(weights["weight_ln_hh"], weights.get("bias_ln_hh"), eps);
        var gates = (input + recurrent).chunk(4, 1);
        var c = (gates[1].sigmoid() * state.c! + gates[0].sigmoid() * gates[2].tanh()).layer_norm(weights["weight_ln_c"], weights.get("bias_ln_c"), eps);
        return (gates[3].sigmoid() * c.tanh(), c);
    }
}
