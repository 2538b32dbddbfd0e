using System;
using System.Collections.Generic;

namespace TorchRnn.Onnx.Graph;

/// <summary>Fresh value and node names, unique within one model.</summary>
internal sealed class Names
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    /// <summary>Reserves a name the caller chose (a graph input or output), refusing duplicates.</summary>
    public void Reserve(string name)
    {
        if (!_taken.Add(name)) throw new ArgumentException($"The name '{name}' is used twice in the graph.", nameof(name));
    }

    public string Fresh(string hint)
    {
        while (true)
        {
            var n = _counts.TryGetValue(hint, out var c) ? c : 0;
            _counts[hint] = n + 1;
            var name = $"{hint}_{n}";
            if (_taken.Add(name)) return name;
        }
    }
}
