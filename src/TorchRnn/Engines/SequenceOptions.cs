using TorchRnn.Kinds;

namespace TorchRnn.Engines;

/// <summary>A sequence module's options, as the engines need them, with what follows from them.</summary>
internal sealed record SequenceOptions(RecurrentKind Kind, long InputSize, long HiddenSize, long NumLayers, bool Bias,
    bool BatchFirst, double Dropout, bool Bidirectional, long ProjSize)
{
    /// <summary>D: 2 if bidirectional, else 1.</summary>
    public long Directions => Bidirectional ? 2 : 1;

    /// <summary>H_out: <see cref="ProjSize"/> if positive, else <see cref="HiddenSize"/>.</summary>
    public long OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>The first size of h and c: D * num_layers.</summary>
    public long States => NumLayers * Directions;

    /// <summary>The input size of layer <paramref name="layer"/>: H_in for the first, D * H_out above.</summary>
    public long LayerInputSize(long layer) => layer == 0 ? InputSize : OutputSize * Directions;
}
