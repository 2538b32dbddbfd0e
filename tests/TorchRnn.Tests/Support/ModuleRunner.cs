using System.Collections.Generic;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Support;

/// <summary>
/// Replays a fixture case in TorchRnn exactly as generate.py ran it in PyTorch, and compares every number.
/// </summary>
public static class ModuleRunner
{
    public static torch.nn.Module Build(ModuleCase c, Device? device = null) => c.Module switch
    {
        "RNN" => nn.RNN(c.InputSize, c.HiddenSize, c.NumLayers, c.Nonlinearity, c.Bias, c.BatchFirst, c.Dropout,
            c.Bidirectional, device, c.DType),
        "LSTM" => nn.LSTM(c.InputSize, c.HiddenSize, c.NumLayers, c.Bias, c.BatchFirst, c.Dropout, c.Bidirectional,
            c.ProjSize, device, c.DType),
        "GRU" => nn.GRU(c.InputSize, c.HiddenSize, c.NumLayers, c.Bias, c.BatchFirst, c.Dropout, c.Bidirectional, device, c.DType),
        "RNNCell" => nn.RNNCell(c.InputSize, c.HiddenSize, c.Bias, c.Nonlinearity, device, c.DType),
        "LSTMCell" => nn.LSTMCell(c.InputSize, c.HiddenSize, c.Bias, device, c.DType),
        "GRUCell" => nn.GRUCell(c.InputSize, c.HiddenSize, c.Bias, device, c.DType),
        _ => throw new System.ArgumentException(c.Module),
    };

    /// <summary>generate.py's forward: (output, h_n, c_n) of a sequence module, (h', -, c') of a cell.</summary>
    /// <remarks>For a packed case, the input is packed first and Output is the packed output's data.</remarks>
    public static (Tensor Output, Tensor? HN, Tensor? CN) Forward(ModuleCase c, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> hx)
    {
        Tensor? h = hx.Count > 0 ? hx[0] : null;
        (Tensor, Tensor)? hc = hx.Count > 1 ? (hx[0], hx[1]) : null;
        if (c.Lengths is { } lengths)
        {
            var packed = nn.utils.rnn.pack_padded_sequence(input, lengths, enforce_sorted: c.EnforceSorted);
            switch (module)
            {
                case RNN rnn: { var (o, hn) = rnn.call(packed, h); return (o.data, hn, null); }
                case GRU gru: { var (o, hn) = gru.call(packed, h); return (o.data, hn, null); }
                case LSTM lstm: { var (o, (hn, cn)) = lstm.call(packed, hc); return (o.data, hn, cn); }
                default: throw new System.ArgumentException(module.GetType().Name);
            }
        }
        return Forward(module, input, hx);
    }

    /// <summary>A forward pass of any TorchRnn module: (output, h_n, c_n) of a sequence module, (h', -, c') of a cell.</summary>
    public static (Tensor Output, Tensor? HN, Tensor? CN) Forward(torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> hx)
    {
        Tensor? h = hx.Count > 0 ? hx[0] : null;
        (Tensor, Tensor)? hc = hx.Count > 1 ? (hx[0], hx[1]) : null;
        switch (module)
        {
            case RNN rnn: { var (o, hn) = rnn.call(input, h); return (o, hn, null); }
            case GRU gru: { var (o, hn) = gru.call(input, h); return (o, hn, null); }
            case LSTM lstm: { var (o, (hn, cn)) = lstm.call(input, hc); return (o, hn, cn); }
            case RNNCell cell: return (cell.call(input, h), null, null);
            case GRUCell cell: return (cell.call(input, h), null, null);
            case LSTMCell cell: { var (h1, c1) = cell.call(input, hc); return (h1, null, c1); }
            default: throw new System.ArgumentException(module.GetType().Name);
        }
    }

    /// <summary>generate.py's loss: sum(output**2) + sum(h_n) + 0.5 * sum(c_n), each term where it exists.</summary>
    public static Tensor Loss(Tensor output, Tensor? hn, Tensor? cn)
    {
        var loss = output.pow(2).sum();
        if (hn is not null) loss = loss + hn.sum();
        if (cn is not null) loss = loss + 0.5 * cn.sum();
        return loss;
    }

    /// <summary>Compares output, h_n and every gradient with the fixture; returns the forward's results.</summary>
    public static (Tensor Output, Tensor? HN, Tensor? CN) AssertForwardAndBackward(ModuleCase c, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> hx)
    {
        var (output, hn, cn) = Forward(c, module, input, hx);
        Expect.Close(output, c.Output, c.Tolerance, "output");
        Assert.That(hn is null, Is.EqualTo(c.HN is null), "h_n returned");
        Assert.That(cn is null, Is.EqualTo(c.CN is null), "c_n returned");
        if (c.HN is not null) Expect.Close(hn!, c.HN, c.Tolerance, "h_n");
        if (c.CN is not null) Expect.Close(cn!, c.CN, c.Tolerance, "c_n");

        Loss(output, hn, cn).backward();
        var grads = c.Grads;
        foreach (var (name, p) in module.named_parameters())
            Expect.Close(Expect.Values(p.grad!), grads[name], c.Tolerance, $"grad of {name}");
        Expect.Close(Expect.Values(input.grad!), c.InputGrad, c.Tolerance, "grad of input");
        for (var i = 0; i < hx.Count; i++)
            Expect.Close(Expect.Values(hx[i].grad!), c.HxGrad[i], c.Tolerance, $"grad of hx[{i}]");
        return (output, hn, cn);
    }
}
