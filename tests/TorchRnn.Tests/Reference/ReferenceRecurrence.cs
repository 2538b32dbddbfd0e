using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Reference;

/// <summary>Which recurrence the reference computes (PyTorch's <c>mode</c>).</summary>
public enum ReferenceMode
{
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

/// <summary>The options of a sequence module, as the reference needs them.</summary>
public sealed record ReferenceSpec(ReferenceMode Mode, long NumLayers, bool BatchFirst, bool Bidirectional, long ProjSize);

/// <summary>
/// PyTorch's recurrent equations written out in float64 with TorchSharp's elementary operations only (mm, add,
/// sigmoid, tanh, relu, narrow, cat, stack, where, indexing), one time step at a time. It shares no code with
/// TorchRnn's engines (neither <c>Recurrence</c> nor the native recurrent kernels) and reads the parameters by
/// PyTorch's names, so it checks what a module computes, not how. Results keep their autograd history, so
/// gradients can be compared as well.
/// </summary>
public static class ReferenceRecurrence
{
    /// <summary>A module's parameters by PyTorch name, as float64 views that keep their autograd link.</summary>
    public static IReadOnlyDictionary<string, Tensor> Parameters(torch.nn.Module module)
        => module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter.to_type(ScalarType.Float64));

    /// <summary>
    /// A sequence module's forward: RNN, LSTM (with projections) or GRU, any number of layers, bidirectional,
    /// batch-first or not, batched (3-D) or unbatched (2-D) input, given or zero initial states.
    /// </summary>
    /// <param name="spec">The module's options.</param>
    /// <param name="p">Its parameters by PyTorch name (<c>weight_ih_l0</c>, ..., <c>_reverse</c>).</param>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</param>
    /// <param name="h0">(D * layers, N, H_out) or unbatched (D * layers, H_out); zeros when null.</param>
    /// <param name="c0">LSTM's (D * layers, N, hidden) or unbatched; zeros when null.</param>
    /// <param name="lengths">
    /// Each batch element's own length (all L when null): steps at or past it leave the state alone and output
    /// zeros, and the reverse direction starts at the element's last step, which is what a module computes for a
    /// PackedSequence padded back with zeros.
    /// </param>
    /// <returns>output, h_n and (LSTM) c_n, shaped as PyTorch returns them, in float64.</returns>
    public static (Tensor output, Tensor h_n, Tensor? c_n) Sequence(ReferenceSpec spec, IReadOnlyDictionary<string, Tensor> p,
        Tensor input, Tensor? h0, Tensor? c0, long[]? lengths = null)
    {
        var lstm = spec.Mode == ReferenceMode.Lstm;
        var batched = input.dim() == 3;
        var x = input.to_type(ScalarType.Float64);
        if (!batched)
        {
            x = x.unsqueeze(spec.BatchFirst ? 0 : 1);
            h0 = h0?.unsqueeze(1);
            c0 = c0?.unsqueeze(1);
        }
        if (spec.BatchFirst) x = x.transpose(0, 1);
        var length = x.shape[0];
        var batch = x.shape[1];
        var directions = spec.Bidirectional ? 2 : 1;
        var hidden = p["weight_hh_l0"].shape[0] / Gates(spec.Mode);
        var outputSize = spec.ProjSize > 0 ? spec.ProjSize : hidden;
        var h = h0?.to_type(ScalarType.Float64) ?? torch.zeros(directions * spec.NumLayers, batch, outputSize, ScalarType.Float64);
        var c = lstm ? c0?.to_type(ScalarType.Float64) ?? torch.zeros(directions * spec.NumLayers, batch, hidden, ScalarType.Float64) : null;
        var masks = lengths is null ? null : Masks(lengths, length);

        var finalH = new List<Tensor>();
        var finalC = new List<Tensor>();
        var layerInput = x;
        for (var layer = 0; layer < spec.NumLayers; layer++)
        {
            var outputs = new Tensor[directions];
            for (var direction = 0; direction < directions; direction++)
            {
                var suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var at = layer * directions + direction;
                var state = h[at];
                var cell = c?[at];
                var steps = new Tensor[length];
                for (long i = 0; i < length; i++)
                {
                    var t = direction == 1 ? length - 1 - i : i;
                    var (nextH, nextC) = Step(spec.Mode, layerInput[t], state, cell, p, suffix);
                    if (masks is null)
                    {
                        state = nextH;
                        cell = nextC;
                        steps[t] = nextH;
                    }
                    else
                    {
                        state = torch.where(masks[t], nextH, state);
                        cell = nextC is null ? null : torch.where(masks[t], nextC, cell!);
                        steps[t] = torch.where(masks[t], nextH, torch.zeros_like(nextH));
                    }
                }
                outputs[direction] = torch.stack(steps, 0);
                finalH.Add(state);
                if (cell is not null) finalC.Add(cell);
            }
            layerInput = directions == 1 ? outputs[0] : torch.cat(outputs, 2);
        }

        var output = spec.BatchFirst ? layerInput.transpose(0, 1) : layerInput;
        var h_n = torch.stack(finalH, 0);
        var c_n = lstm ? torch.stack(finalC, 0) : null;
        if (!batched)
        {
            output = output.squeeze(spec.BatchFirst ? 0 : 1);
            h_n = h_n.squeeze(1);
            c_n = c_n?.squeeze(1);
        }
        return (output, h_n, c_n);
    }

    /// <summary>A cell's forward: RNNCell, LSTMCell or GRUCell, batched (2-D) or unbatched (1-D), given or zero states.</summary>
    /// <param name="mode">The recurrence.</param>
    /// <param name="p">The cell's parameters by PyTorch name (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>).</param>
    /// <param name="input">(N, H_in) or (H_in).</param>
    /// <param name="h">(N, H) or (H); zeros when null.</param>
    /// <param name="c">LSTMCell's (N, H) or (H); zeros when null.</param>
    /// <returns>h' and (LSTMCell) c', in float64.</returns>
    public static (Tensor h, Tensor? c) Cell(ReferenceMode mode, IReadOnlyDictionary<string, Tensor> p, Tensor input, Tensor? h, Tensor? c)
    {
        var batched = input.dim() == 2;
        var x = input.to_type(ScalarType.Float64);
        if (!batched)
        {
            x = x.unsqueeze(0);
            h = h?.unsqueeze(0);
            c = c?.unsqueeze(0);
        }
        var hidden = p["weight_hh"].shape[1];
        var batch = x.shape[0];
        h = h?.to_type(ScalarType.Float64) ?? torch.zeros(batch, hidden, ScalarType.Float64);
        if (mode == ReferenceMode.Lstm) c = c?.to_type(ScalarType.Float64) ?? torch.zeros(batch, hidden, ScalarType.Float64);
        var (nextH, nextC) = Step(mode, x, h, c, p, "");
        return batched ? (nextH, nextC) : (nextH.squeeze(0), nextC?.squeeze(0));
    }

    /// <summary>One step on (N, H_in) input with the parameters named <c>weight_ih{suffix}</c> and so on.</summary>
    private static (Tensor h, Tensor? c) Step(ReferenceMode mode, Tensor x, Tensor h, Tensor? c, IReadOnlyDictionary<string, Tensor> p, string suffix)
    {
        var gi = Affine(x, p["weight_ih" + suffix], p.GetValueOrDefault("bias_ih" + suffix));
        var gh = Affine(h, p["weight_hh" + suffix], p.GetValueOrDefault("bias_hh" + suffix));
        var hidden = p["weight_hh" + suffix].shape[0] / Gates(mode);
        Tensor Gate(Tensor t, int k) => t.narrow(1, k * hidden, hidden);
        switch (mode)
        {
            case ReferenceMode.RnnTanh:
                return (torch.tanh(gi + gh), null);
            case ReferenceMode.RnnRelu:
                return (torch.nn.functional.relu(gi + gh), null);
            case ReferenceMode.Lstm:
            {
                var all = gi + gh;
                var i = torch.sigmoid(Gate(all, 0));
                var f = torch.sigmoid(Gate(all, 1));
                var g = torch.tanh(Gate(all, 2));
                var o = torch.sigmoid(Gate(all, 3));
                var nextC = f * c! + i * g;
                var nextH = o * torch.tanh(nextC);
                if (p.TryGetValue("weight_hr" + suffix, out var w_hr)) nextH = torch.mm(nextH, w_hr.t());
                return (nextH, nextC);
            }
            case ReferenceMode.Gru:
            {
                var r = torch.sigmoid(Gate(gi, 0) + Gate(gh, 0));
                var z = torch.sigmoid(Gate(gi, 1) + Gate(gh, 1));
                var n = torch.tanh(Gate(gi, 2) + r * Gate(gh, 2));
                return ((1 - z) * n + z * h, null);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(mode));
        }
    }

    /// <summary>x W^T (+ b), with W (out, in) as PyTorch stores it.</summary>
    private static Tensor Affine(Tensor x, Tensor w, Tensor? b)
    {
        var y = torch.mm(x, w.t());
        return b is null ? y : y + b;
    }

    private static long Gates(ReferenceMode mode) => mode switch
    {
        ReferenceMode.Lstm => 4,
        ReferenceMode.Gru => 3,
        _ => 1,
    };

    /// <summary>For each time step, an (N, 1) mask of the batch elements still running.</summary>
    private static Tensor[] Masks(long[] lengths, long length)
    {
        using var all = torch.tensor(lengths).unsqueeze(1);
        var masks = new Tensor[length];
        for (long t = 0; t < length; t++) masks[t] = all.gt(t);
        return masks;
    }
}
