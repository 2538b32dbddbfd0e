using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CsCheck;
using TorchRnn.Tests.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

public enum ModuleKind
{
    RNN,
    LSTM,
    GRU,
    RNNCell,
    LSTMCell,
    GRUCell,
}

/// <summary>How a sequence reaches the module.</summary>
public enum InputForm
{
    Batched,
    Unbatched,

    /// <summary>
    /// Batched input packed with per-element lengths (<see cref="ValidCase.Lengths"/>, unsorted); the output is padded
    /// back to the full length, as <see cref="ReferenceRecurrence.Sequence"/> computes it for those lengths.
    /// </summary>
    Packed,
}

/// <summary>A module's constructor arguments; printed as PyTorch's repr, so a failing case reads as Python.</summary>
public sealed record ModuleConfig(ModuleKind Kind, string Nonlinearity, long InputSize, long HiddenSize, long NumLayers,
    bool Bias, bool BatchFirst, bool Bidirectional, long ProjSize, double Dropout = 0)
{
    public bool IsCell => Kind is ModuleKind.RNNCell or ModuleKind.LSTMCell or ModuleKind.GRUCell;
    public bool IsLstm => Kind is ModuleKind.LSTM or ModuleKind.LSTMCell;
    public long Directions => Bidirectional ? 2 : 1;
    public long OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    public ReferenceMode Mode => Kind switch
    {
        ModuleKind.LSTM or ModuleKind.LSTMCell => ReferenceMode.Lstm,
        ModuleKind.GRU or ModuleKind.GRUCell => ReferenceMode.Gru,
        _ => Nonlinearity == "relu" ? ReferenceMode.RnnRelu : ReferenceMode.RnnTanh,
    };

    public ReferenceSpec Spec => new(Mode, NumLayers, BatchFirst, Bidirectional, ProjSize);

    public torch.nn.Module Build(ScalarType dtype = ScalarType.Float64) => Kind switch
    {
        ModuleKind.RNN => nn.RNN(InputSize, HiddenSize, NumLayers, Nonlinearity, Bias, BatchFirst, Dropout, Bidirectional, dtype: dtype),
        ModuleKind.LSTM => nn.LSTM(InputSize, HiddenSize, NumLayers, Bias, BatchFirst, Dropout, Bidirectional, ProjSize, dtype: dtype),
        ModuleKind.GRU => nn.GRU(InputSize, HiddenSize, NumLayers, Bias, BatchFirst, Dropout, Bidirectional, dtype: dtype),
        ModuleKind.RNNCell => nn.RNNCell(InputSize, HiddenSize, Bias, Nonlinearity, dtype: dtype),
        ModuleKind.LSTMCell => nn.LSTMCell(InputSize, HiddenSize, Bias, dtype: dtype),
        _ => nn.GRUCell(InputSize, HiddenSize, Bias, dtype: dtype),
    };

    /// <summary>The input shape for sequence length <paramref name="length"/> and batch <paramref name="batch"/>.</summary>
    public long[] InputShape(InputForm form, long length, long batch)
    {
        if (IsCell) return form == InputForm.Unbatched ? [InputSize] : [batch, InputSize];
        if (form == InputForm.Unbatched) return [length, InputSize];
        return BatchFirst ? [batch, length, InputSize] : [length, batch, InputSize];
    }

    /// <summary>The initial states' shapes: (h) or LSTM's (h, c).</summary>
    public long[][] StateShapes(InputForm form, long batch)
    {
        var unbatched = form == InputForm.Unbatched;
        long[] Shape(long features)
        {
            if (IsCell) return unbatched ? [features] : [batch, features];
            return unbatched ? [Directions * NumLayers, features] : [Directions * NumLayers, batch, features];
        }
        return IsLstm ? [Shape(OutputSize), Shape(HiddenSize)] : [Shape(HiddenSize)];
    }

    public override string ToString()
    {
        static string Py(bool b) => b ? "True" : "False";
        var s = $"{Kind}({InputSize}, {HiddenSize}";
        if (Kind is ModuleKind.RNN or ModuleKind.RNNCell) s += $", nonlinearity='{Nonlinearity}'";
        if (!IsCell) s += $", num_layers={NumLayers}";
        s += $", bias={Py(Bias)}";
        if (!IsCell) s += $", batch_first={Py(BatchFirst)}, bidirectional={Py(Bidirectional)}";
        if (Kind == ModuleKind.LSTM) s += $", proj_size={ProjSize}";
        if (Dropout != 0) s += ", dropout=" + Dropout.ToString("R", CultureInfo.InvariantCulture);
        return s + ")";
    }
}

/// <summary>
/// A valid module and input; every number comes from <see cref="DataSeed"/>, so the case replays exactly.
/// <see cref="Lengths"/> are the batch elements' lengths for <see cref="InputForm.Packed"/> input.
/// </summary>
public sealed record ValidCase(ModuleConfig Module, InputForm Form, long Length, long Batch, bool WithState, bool NonContiguous, int DataSeed,
    long[]? Lengths = null)
{
    public override string ToString()
        => $"{Module} on {Form} input {Shape(Module.InputShape(Form, Length, Batch))}" +
           (Lengths is null ? "" : " of lengths " + Shape(Lengths)) +
           (WithState ? " with states " + string.Join(", ", Module.StateShapes(Form, Batch).Select(Shape)) : " with default states") +
           (NonContiguous ? ", non-contiguous" : "") + $", data seed {DataSeed}";

    public static string Shape(long[] shape) => "(" + string.Join(", ", shape) + ")";
}

/// <summary>The generators and the data behind the property tests.</summary>
public static class RandomCases
{
    private static readonly Gen<string> Nonlinearities = Gen.OneOf("tanh", "relu");

    /// <summary>RNN, LSTM (with and without projections) and GRU with small sizes (1 included), 1-3 layers.</summary>
    public static readonly Gen<ModuleConfig> SequenceModules =
        from kind in Gen.OneOf(ModuleKind.RNN, ModuleKind.LSTM, ModuleKind.GRU)
        from nonlinearity in Nonlinearities
        from inputSize in Gen.Int[1, 4]
        from hiddenSize in Gen.Int[1, 4]
        from layers in Gen.Int[1, 3]
        from flags in Gen.Int[0, 7]
        from proj in kind == ModuleKind.LSTM ? Gen.Int[0, hiddenSize - 1] : Gen.Const(0)
        select new ModuleConfig(kind, nonlinearity, inputSize, hiddenSize, layers,
            Bias: (flags & 1) == 0, BatchFirst: (flags & 2) != 0, Bidirectional: (flags & 4) != 0, ProjSize: proj);

    /// <summary>The three cells; sizes 0 to 4 (PyTorch's cells accept empty inputs and states).</summary>
    public static readonly Gen<ModuleConfig> Cells =
        from kind in Gen.OneOf(ModuleKind.RNNCell, ModuleKind.LSTMCell, ModuleKind.GRUCell)
        from nonlinearity in Nonlinearities
        from inputSize in Gen.Frequency((1, Gen.Const(0)), (8, Gen.Int[1, 4]))
        from hiddenSize in Gen.Frequency((1, Gen.Const(0)), (8, Gen.Int[1, 4]))
        from bias in Gen.Bool
        select new ModuleConfig(kind, nonlinearity, inputSize, hiddenSize, 1, bias, false, false, 0);

    /// <summary>
    /// A valid case for <paramref name="modules"/>: L 1-4, N 0-3, batched or unbatched, with or without states; a
    /// sequence module's input may also come packed (N 1-3, each element's length 1-L, in any order).
    /// </summary>
    public static Gen<ValidCase> Valid(Gen<ModuleConfig> modules) =>
        from module in modules
        from form in module.IsCell
            ? Gen.Frequency((3, Gen.Const(InputForm.Batched)), (1, Gen.Const(InputForm.Unbatched)))
            : Gen.Frequency((3, Gen.Const(InputForm.Batched)), (1, Gen.Const(InputForm.Unbatched)), (1, Gen.Const(InputForm.Packed)))
        from length in Gen.Int[1, 4]
        from batch in form == InputForm.Packed ? Gen.Int[1, 3] : Gen.Int[0, 3]
        from lengths in Gen.Int[1, length].Array[batch]
        from withState in Gen.Bool
        from nonContiguous in Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true)))
        from seed in Gen.Int
        select new ValidCase(module, form, module.IsCell ? 1 : length, batch, withState, nonContiguous, seed,
            form == InputForm.Packed ? Array.ConvertAll(lengths, l => (long)l) : null);

    /// <summary>
    /// Builds the module (float64) and overwrites every parameter with draws from the case's own generator, so the
    /// case does not depend on the global generator or on the order cases run in; then the input and the states.
    /// </summary>
    public static (torch.nn.Module module, Tensor input, Tensor[] states) Materialize(ValidCase c, bool requiresGrad)
    {
        var module = c.Module.Build();
        using var generator = new torch.Generator(unchecked((ulong)c.DataSeed));
        using (torch.no_grad())
        {
            foreach (var (_, p) in module.named_parameters())
                p.copy_(torch.rand(p.shape, ScalarType.Float64, generator: generator) * 1.6 - 0.8);
        }
        var input = Draw(c.Module.InputShape(c.Form, c.Length, c.Batch), c.NonContiguous, generator, requiresGrad);
        var states = c.WithState
            ? c.Module.StateShapes(c.Form, c.Batch).Select(s => Draw(s, c.NonContiguous, generator, requiresGrad)).ToArray()
            : [];
        return (module, input, states);
    }

    /// <summary>A standard normal tensor; non-contiguous ones are every other element of a wider tensor.</summary>
    public static Tensor Draw(long[] shape, bool nonContiguous, torch.Generator generator, bool requiresGrad)
    {
        Tensor t;
        if (nonContiguous && shape.Length > 0)
        {
            var wide = (long[])shape.Clone();
            wide[^1] *= 2;
            t = torch.randn(wide, ScalarType.Float64, generator: generator).slice(-1, 0, wide[^1], 2);
        }
        else
        {
            t = torch.randn(shape, ScalarType.Float64, generator: generator);
        }
        if (!requiresGrad) return t;
        // A leaf of its own, keeping the layout (non-contiguous stays so).
        return t.detach().requires_grad_();
    }

    /// <summary>What the module returns for (input, states): output, h_n, c_n of a sequence module, h', -, c' of a cell.</summary>
    public static (Tensor Output, Tensor? HN, Tensor? CN) Forward(torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> states)
        => Support.ModuleRunner.Forward(module, input, states);

    /// <summary>
    /// What the module returns for the case's input: for <see cref="InputForm.Packed"/> input, packed with the case's
    /// lengths, and the packed output padded back to the full length.
    /// </summary>
    public static (Tensor Output, Tensor? HN, Tensor? CN) Forward(ValidCase c, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> states)
    {
        if (c.Form != InputForm.Packed) return Forward(module, input, states);
        var batchFirst = c.Module.BatchFirst;
        var packed = nn.utils.rnn.pack_padded_sequence(input, c.Lengths!, batchFirst, enforce_sorted: false);
        HiddenState? hx = states.Count == 0 ? (HiddenState?)null : new HiddenState(states[0], states.Count > 1 ? states[1] : (Tensor?)null);
        var (output, h_n) = ((RNNBase)module).call(packed, hx);
        var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batchFirst, total_length: c.Length);
        return (padded, h_n.h, h_n.c);
    }

    /// <summary>What the reference computes for the case's input (for packed input, with the case's lengths).</summary>
    public static (Tensor Output, Tensor? HN, Tensor? CN) Reference(ValidCase c, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> states)
        => c.Form == InputForm.Packed
            ? ReferenceRecurrence.Sequence(c.Module.Spec, ReferenceRecurrence.Parameters(module), input,
                states.Count > 0 ? states[0] : null, states.Count > 1 ? states[1] : null, c.Lengths)
            : Reference(c.Module, module, input, states);

    /// <summary>What the reference computes for the same arguments, with the module's parameters.</summary>
    public static (Tensor Output, Tensor? HN, Tensor? CN) Reference(ModuleConfig m, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> states)
    {
        var p = ReferenceRecurrence.Parameters(module);
        var h = states.Count > 0 ? states[0] : null;
        var c = states.Count > 1 ? states[1] : null;
        if (m.IsCell)
        {
            var (h1, c1) = ReferenceRecurrence.Cell(m.Mode, p, input, h, c);
            return (h1, null, c1);
        }
        return ReferenceRecurrence.Sequence(m.Spec, p, input, h, c);
    }
}
