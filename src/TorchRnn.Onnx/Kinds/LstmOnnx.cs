namespace TorchRnn.Onnx.Kinds;

/// <summary>LSTM's step on OnnxTensor (the Scan export of float64 and projected LSTMs): (x W_ih^T + b_ih + b_hh) + h W_hh^T, projected by W_hr.</summary>
internal sealed class LstmOnnx : IOnnxKind
{
    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights) => Folded(input, weights);

    /// <summary>x W_ih^T + (b_ih + b_hh): the input product of the kinds whose biases both add before the gates (RNN, LSTM, peepholes).</summary>
    public static OnnxTensor Folded(OnnxTensor input, OnnxCellWeights weights)
    {
        var product = input.matmul(weights["weight_ih"].transpose(0, 1));
        return weights.get("bias_ih") is { } b_ih ? product + (b_ih + weights["bias_hh"]) : product;
    }

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var gates = (input + state.h.matmul(weights["weight_hh"].transpose(0, 1))).chunk(4, 1);
        var c = gates[1].sigmoid() * state.c! + gates[0].sigmoid() * gates[2].tanh();
        var h = gates[3].sigmoid() * c.tanh();
        return (weights.get("weight_hr") is { } w_hr ? h.matmul(w_hr.transpose(0, 1)) : h, c);
    }
}
