namespace TorchRnn.Onnx.Kinds;

/// <summary>
/// <see cref="TorchRnn.Kinds.RegularizedLstmKind"/>'s eval step on OnnxTensor: an export is of the module in eval mode,
/// where recurrent dropout vanishes and zoneout is its expectation p h + (1 - p) h~. Float32 without zoneout goes to
/// ONNX's own LSTM instead (the kind's operator).
/// </summary>
internal sealed class RegularizedLstmOnnx(double zoneout) : IOnnxKind
{
    private static readonly LstmOnnx Lstm = new();

    public OnnxTensor project(OnnxTensor input, OnnxCellWeights weights) => LstmOnnx.Folded(input, weights);

    public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights)
    {
        var (fresh, c) = Lstm.step(input, state, weights);
        if (zoneout == 0) return (fresh, c);
        return (OnnxTensor.full_like(state.h, zoneout) * state.h + OnnxTensor.full_like(fresh, 1 - zoneout) * fresh, c);
    }
}
