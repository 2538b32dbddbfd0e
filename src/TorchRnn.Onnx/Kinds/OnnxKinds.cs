using System;
using System.Collections.Generic;
using TorchRnn.Kinds;

namespace TorchRnn.Onnx.Kinds;

/// <summary>
/// The step on <see cref="OnnxTensor"/> of a kind: the kind's own when it implements <see cref="IOnnxKind"/> (a user's
/// kind), else the one this assembly writes for the kinds TorchRnn ships (TorchRnn does not reference the exporter, so
/// their ONNX steps live here, one file each).
/// </summary>
internal static class OnnxKinds
{
    private static readonly Dictionary<Type, Func<RecurrentKind, IOnnxKind>> Shipped = new()
    {
        [typeof(LstmKind)] = _ => new LstmOnnx(),
        [typeof(GruKind)] = _ => new GruOnnx(),
        [typeof(RnnKind)] = k => new RnnOnnx(((RnnKind)k).Nonlinearity),
        [typeof(LayerNormLstmKind)] = _ => new LayerNormLstmOnnx(),
        [typeof(LayerNormGruKind)] = _ => new LayerNormGruOnnx(),
        [typeof(PeepholeLstmKind)] = _ => new PeepholeLstmOnnx(),
        [typeof(RegularizedLstmKind)] = k => new RegularizedLstmOnnx(((RegularizedLstmKind)k).zoneout),
    };

    /// <summary>The kind's step on OnnxTensor, or null when it has none.</summary>
    public static IOnnxKind? Step(RecurrentKind kind)
        => kind as IOnnxKind ?? (Shipped.TryGetValue(kind.GetType(), out var make) ? make(kind) : null);
}
