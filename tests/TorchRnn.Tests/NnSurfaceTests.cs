using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchSharp;

namespace TorchRnn.Tests;

/// <summary>
/// TorchRnn's <c>nn</c> offers all of TorchSharp's <c>torch.nn</c> (the generator in src/TorchRnn.Generators writes it
/// from TorchSharp's metadata at build time); these tests say what "all" means and catch a generator that misses.
/// </summary>
public class NnSurfaceTests
{
    // TorchRnn's own replacements: PyTorch's semantics where TorchSharp's differ.
    private static readonly HashSet<string> Replaced = ["nn.RNN", "nn.LSTM", "nn.GRU", "nn.RNNCell", "nn.LSTMCell", "nn.GRUCell", "nn.utils.rnn"];

    // TorchSharp's types that C# cannot re-export; a port names them from TorchSharp (README "One nn").
    private static readonly HashSet<string> TypesUsedFromTorchSharp = ["Module", "IModule`2", "IModule`3", "IModule`4", "IModule`5", "IModule`6", "IModule`7", "HookableModule`2"];

    [Test]
    public void EveryTorchSharpNnMethod_HasAForwarderWithTheSameSignature()
    {
        var missing = Support.Surface.Missing(typeof(torch.nn), typeof(nn), "nn", Replaced,
            type => TypesUsedFromTorchSharp.Contains(type.Name) || type.Name.StartsWith("Module`", StringComparison.Ordinal));

        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void EveryGenericModuleBase_HasATorchRnnTwinDerivingFromIt()
    {
        var bases = typeof(torch.nn).GetNestedTypes().Where(t => t.Name.StartsWith("Module`", StringComparison.Ordinal)).ToArray();

        Assert.That(bases, NUnit.Framework.Has.Length.GreaterThanOrEqualTo(6));
        foreach (var torchSharpBase in bases)
        {
            var twin = typeof(nn).GetNestedType(torchSharpBase.Name);
            Assert.That(twin, Is.Not.Null, torchSharpBase.Name);
            Assert.That(twin!.BaseType!.GetGenericTypeDefinition(), Is.EqualTo(torchSharpBase));
        }
    }

    [Test]
    public void WhatARecurrentModelPortUses_IsInOneNn()
    {
        // From the ports in tests/TorchRnn.Tests/Ports and PyTorch's RNN examples (word language model, time series).
        string[] members =
        [
            "Linear", "Embedding", "Dropout", "LayerNorm", "Sequential", "ModuleList", "ModuleDict", "Identity", "ReLU",
            "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "MSELoss", "Parameter",
            "ParameterList", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "Reduction",
            "functional.cross_entropy", "functional.nll_loss", "functional.mse_loss", "functional.log_softmax",
            "functional.softmax", "functional.dropout", "functional.relu", "functional.tanh", "functional.linear",
            "functional.one_hot", "functional.pad", "init.uniform_", "init.normal_", "init.zeros_", "init.ones_",
            "init.constant_", "init.xavier_uniform_", "init.kaiming_uniform_", "init.orthogonal_",
            "utils.clip_grad_norm_", "utils.clip_grad_value_", "utils.parameters_to_vector", "utils.vector_to_parameters",
            "utils.rnn.pack_padded_sequence", "utils.rnn.pad_packed_sequence", "utils.rnn.pad_sequence", "utils.rnn.pack_sequence",
            "Module`2", "Module`3", "Module`4",
        ];
        var absent = members.Where(m => !Support.Surface.Has(typeof(nn), m.Split('.'))).ToArray();

        Assert.That(absent, Is.Empty);
    }
}
