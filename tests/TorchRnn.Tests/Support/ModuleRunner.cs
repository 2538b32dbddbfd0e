using System.Collections.Generic;
using System.Linq;
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
        "RNNCell" => nn.RNNCell(c.InputSize, c.HiddenSize, c.Bias, c.Nonlinearity, device, c.DType),
        _ => throw new System.ArgumentException(c.Module),
    };

    /// <summary>generate.py's forward: RNN gives (output, h_n), a cell gives h'.</summary>
    public static (Tensor Output, Tensor? HN) Forward(torch.nn.Module module, Tensor input, Tensor? hx) => module switch
    {
        RNN rnn => rnn.call(input, hx),
        RNNCell cell => (cell.call(input, hx), null),
        _ => throw new System.ArgumentException(module.GetType().Name),
    };

    /// <summary>generate.py's loss: sum(output**2) + sum(h_n).</summary>
    public static Tensor Loss(Tensor output, Tensor? hn) => hn is null ? output.pow(2).sum() : output.pow(2).sum() + hn.sum();

    /// <summary>Compares output, h_n and every gradient with the fixture.</summary>
    public static void AssertForwardAndBackward(ModuleCase c, torch.nn.Module module, Tensor input, Tensor? hx)
    {
        var (output, hn) = Forward(module, input, hx);
        Expect.Close(output, c.Output, c.Tolerance, "output");
        if (c.HN is not null) Expect.Close(hn!, c.HN, c.Tolerance, "h_n");

        Loss(output, hn).backward();
        var grads = c.Grads;
        foreach (var (name, p) in module.named_parameters())
            Expect.Close(Expect.Values(p.grad!), grads[name], c.Tolerance, $"grad of {name}");
        Expect.Close(Expect.Values(input.grad!), c.InputGrad, c.Tolerance, "grad of input");
        if (hx is not null) Expect.Close(Expect.Values(hx.grad!), c.HxGrad!, c.Tolerance, "grad of hx");
    }
}
