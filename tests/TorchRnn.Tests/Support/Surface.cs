using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace TorchRnn.Tests.Support;

/// <summary>
/// Compares one of TorchSharp's static classes (<c>torch.nn</c>, <c>torch.optim</c>) with TorchRnn's twin, which
/// src/TorchRnn.Generators fills from TorchSharp's metadata: what "the whole surface" means for NnSurfaceTests and
/// OptimSurfaceTests.
/// </summary>
internal static class Surface
{
    /// <summary>
    /// Every static method (same name, parameter types, names and defaults, and return type), nested static class and
    /// enum (same values) of <paramref name="torchSharp"/> that <paramref name="ours"/> lacks, as dotted paths.
    /// </summary>
    /// <param name="torchSharp">TorchSharp's class, e.g. <c>typeof(torch.nn)</c>.</param>
    /// <param name="ours">TorchRnn's twin, e.g. <c>typeof(nn)</c>.</param>
    /// <param name="path">The twin's name, the start of every reported path.</param>
    /// <param name="replaced">Paths TorchRnn declares itself, with PyTorch's semantics ("nn.LSTM", "optim.LBFGS").</param>
    /// <param name="usedFromTorchSharp">Nested types C# cannot re-export, named as TorchSharp names them.</param>
    internal static List<string> Missing(Type torchSharp, Type ours, string path, ISet<string> replaced, Func<Type, bool> usedFromTorchSharp)
    {
        var missing = new List<string>();
        Compare(torchSharp, ours, path, replaced, usedFromTorchSharp, missing);
        return missing;
    }

    /// <summary>Whether TorchRnn's class or one of its nested classes along <paramref name="path"/> has that member or type.</summary>
    internal static bool Has(Type type, string[] path)
    {
        if (path.Length == 1)
        {
            return type.GetMember(path[0], BindingFlags.Public | BindingFlags.Static).Length > 0 || type.GetNestedType(path[0]) is not null;
        }
        var nested = type.GetNestedType(path[0]);
        return nested is not null && Has(nested, path[1..]);
    }

    private static void Compare(Type torchSharp, Type? ours, string path, ISet<string> replaced, Func<Type, bool> usedFromTorchSharp, List<string> missing)
    {
        foreach (var method in torchSharp.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Where(m => !m.IsSpecialName))
        {
            if (replaced.Contains(path + "." + method.Name))
            {
                continue;
            }
            var twin = ours?.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .FirstOrDefault(m => m.Name == method.Name && SameSignature(m, method));
            if (twin is null)
            {
                missing.Add($"{path}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})");
            }
        }
        foreach (var nested in torchSharp.GetNestedTypes(BindingFlags.Public))
        {
            var name = path + "." + nested.Name;
            if (replaced.Contains(name) || usedFromTorchSharp(nested))
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
                Compare(nested, twin, name, replaced, usedFromTorchSharp, missing);
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
