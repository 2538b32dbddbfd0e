
namespace TorchRnn.Onnx;

/// <summary>
/// A packed batch in an <see cref="OnnxGraph"/>: what <see cref="PackedSequence"/> is in the model's forward. ONNX
/// has no packed layout; the graph keeps the padded, time-major data (L, N, *) and each sequence's length (N, int64),
/// which the recurrent layers take as ONNX's <c>sequence_lens</c>. Made by <see cref="onnx.pack_padded_sequence"/>
/// or given to the forward of a packed model's <c>onnx.export</c>.
/// </summary>
public sealed class OnnxPackedSequence
{
    internal OnnxPackedSequence(OnnxTensor data, OnnxTensor lengths, PackedSequence example)
    {
        Data = data;
        Lengths = lengths;
        Example = example;
    }

    /// <summary>Padded, time-major data (L, N, *); entries past a sequence's length are zero or ignored.</summary>
    internal OnnxTensor Data { get; }

    /// <summary>Each sequence's length, int64 (N), in the batch's own order.</summary>
    internal OnnxTensor Lengths { get; }

    /// <summary>The packed example, as TorchRnn computes it.</summary>
    internal PackedSequence Example { get; }

    /// <summary>The packed example value (owned by the graph).</summary>
    public PackedSequence example => Example;
}
