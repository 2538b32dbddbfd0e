using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
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
        var missing = new List<string>();
        Compare(typeof(torch.nn), typeof(nn), "nn", missing);
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
        var absent = members.Where(m => !Has(typeof(nn), m.Split('.'))).ToArray();

        Assert.That(absent, Is.Empty);
    }

    private static bool Has(Type type, string[] path)
    {
        if (path.Length == 1)
        {
            return type.GetMember(path[0], BindingFlags.Public | BindingFlags.Static).Length > 0 || type.GetNestedType(path[0]) is not null;
        }
        var nested = type.GetNestedType(path[0]);
        return nested is not null && Has(nested, path[1..]);
    }

    private static void Compare(Type torchSharp, Type ours, string path, List<string> missing)
    {
        foreach (var method in torchSharp.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Where(m => !m.IsSpecialName))
        {
            if (Replaced.Contains(path + "." + method.Name))
            {
                continue;
            }
            var signature = method.GetParameters().Select(p => p.ParameterType).ToArray();
            var twin = ours?.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .FirstOrDefault(m => m.Name == method.Name && SameSignature(m, method));
            if (twin is null)
            {
                missing.Add($"{path}.{method.Name}({string.Join(", ", signature.Select(t => t.Name))})");
            }
        }
        foreach (var nested in torchSharp.GetNestedTypes(BindingFlags.Public))
        {
            var name = path + "." + nested.Name;
            if (Replaced.Contains(name) || TypesUsedFromTorchSharp.Contains(nested.Name) || nested.Name.StartsWith("Module`", StringComparison.Ordinal))
            {
                continue;
            }
            var twin = ours?.GetNestedType(nested.Name);
            if (twin is null)
            {
                missing.Add(name);
            }
            else if (nested.IsEnum)
            {
                var values = twin.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (f.Name, f.GetValue(null))).ToArray();
                var expected = Enum.GetNames(nested).Select(n => (n, (object?)Enum.Parse(nested, n))).ToArray();
                if (!values.SequenceEqual(expected))
                {
                    missing.Add(name + " values");
                }
            }
            else if (nested.IsAbstract && nested.IsSealed)
            {
                Compare(nested, twin, name, missing);
            }
        }
    }

    private static bool SameSignature(MethodInfo ours, MethodInfo theirs)
    {
        var (a, b) = (ours.GetParameters(), theirs.GetParameters());
        return ours.ReturnType.ToString() == theirs.ReturnType.ToString() && a.Length == b.Length && a.Zip(b).All(p =>
            p.First.ParameterType.ToString() == p.Second.ParameterType.ToString() && p.First.Name == p.Second.Name
            && p.First.HasDefaultValue == p.Second.HasDefaultValue && Equals(p.First.RawDefaultValue, p.Second.RawDefaultValue));
    }
}
