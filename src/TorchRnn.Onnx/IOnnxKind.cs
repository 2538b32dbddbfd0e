using TorchRnn.Kinds;

namespace TorchRnn.Onnx;

/// <summary>
/// A <see cref="RecurrentKind"/>'s step written on <see cref="OnnxTensor"/>, so that its modules export: each layer and
/// direction becomes an ONNX <c>Scan</c> whose body is <see cref="step"/>, after <see cref="project"/> over the whole
/// sequence, as <c>onnx.export</c> exports a whole model from its forward written on <see cref="OnnxTensor"/>. Implement it
/// on the kind itself: <c>sealed class MyCell : RecurrentKind, IOnnxKind</c>.
/// </summary>
/// <remarks>
/// Before writing anything the export runs both steps, the kind's and this one, on the same random values and refuses
/// (<see cref="OnnxExportException"/>) if they differ. Packed input, reverse directions and stacking are the exporter's.
/// </remarks>
/// <example>
/// <code>
/// // The Elman kind of RecurrentKind's example, exportable:
/// public OnnxTensor project(OnnxTensor input, OnnxCellWeights w) => input.matmul(w["weight_ih"].transpose(0, 1)) + w["bias"];
/// public (OnnxTensor h, OnnxTensor? c) step(OnnxTensor x, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights w)
///     => ((x + state.h.matmul(w["weight_hh"].transpose(0, 1))).tanh(), null);
/// </code>
/// </example>
public interface IOnnxKind
{
    /// <summary>What <see cref="RecurrentKind.project"/> computes, on (L, N, H_in).</summary>
    /// <param name="input">The layer's input, time-major.</param>
    /// <param name="weights">The layer-direction's parameters, as graph constants.</param>
    /// <returns>(L, N, P).</returns>
    OnnxTensor project(OnnxTensor input, OnnxCellWeights weights) => input;

    /// <summary>What <see cref="RecurrentKind.step"/> computes, on one step.</summary>
    /// <param name="input">(N, P): the step's row of <see cref="project"/>.</param>
    /// <param name="state">h (N, H), and c (N, H) when the kind has a cell state (else null).</param>
    /// <param name="weights">The layer-direction's parameters.</param>
    /// <returns>The next state; c null when the kind has none.</returns>
    (OnnxTensor h, OnnxTensor? c) step(OnnxTensor input, (OnnxTensor h, OnnxTensor? c) state, OnnxCellWeights weights);
}
