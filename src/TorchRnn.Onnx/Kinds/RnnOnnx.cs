namespace TorchRnn.Onnx.Kinds;

/// <summary>RNN's step on OnnxTensor: tanh or relu of (x W_ih^T + b_ih + b_hh) + h W_hh^T.</summary>
internal sealed class RnnOnnx(string nonlinearity) : IOnnxKind
{
    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights) => LstmOnnx.Folded(input, weights);

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var pre = input + state.h.matmul(weights["weight_hh"].transpose(0, 1));
        return (nonlinearity == "relu" ? pre.relu() : pre.tanh(), null);
    }
}
