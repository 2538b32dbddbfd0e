using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TorchRnn.Serialization;

/// <summary>
/// A checkpoint does not fit the module it was loaded into: keys the module has and the file lacks (missing), keys
/// the file has and the module lacks (unexpected), or tensors whose shapes differ. Nothing was loaded.
/// </summary>
/// <remarks>
/// An <see cref="ArgumentException"/>, as TorchRnn raises for every argument that does not fit (PyTorch raises a
/// <c>RuntimeError</c> listing the same things). The message names every problem, one per line, for example
/// <c>rnn.weight_ih_l0: checkpoint (20, 3) vs model (20, 4)</c>.
/// </remarks>
public sealed class CheckpointMismatchException : ArgumentException
{
    /// <summary>Creates the exception from the problems found; the message lists them all.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="module">The module's name (<c>GetName()</c>), for the message.</param>
    /// <param name="missingKeys">Keys of the module's <c>state_dict</c> that the file lacks.</param>
    /// <param name="unexpectedKeys">Keys of the file that the module's <c>state_dict</c> lacks.</param>
    /// <param name="shapeMismatches">Keys in both whose shapes differ, each as <c>key: checkpoint (..) vs model (..)</c>.</param>
    internal CheckpointMismatchException(string path, string module, IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(Describe(path, module, missingKeys, unexpectedKeys, shapeMismatches))
    {
        Path = path;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Keys of the module's <c>state_dict</c> that the checkpoint lacks, in the module's order.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys of the checkpoint that the module's <c>state_dict</c> lacks, in ordinal order (a pickle keeps none).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>
    /// One line per tensor whose shapes differ, in the module's order, for example
    /// <c>rnn.weight_ih_l0: checkpoint (20, 3) vs model (20, 4)</c>.
    /// </summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Describe(string path, string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> shapes)
    {
        var s = new StringBuilder($"The checkpoint {path} does not fit {module}; nothing was loaded.");
        if (missing.Count > 0) s.Append("\n  missing keys (in the model, not in the checkpoint): ").Append(string.Join(", ", missing));
        if (unexpected.Count > 0) s.Append("\n  unexpected keys (in the checkpoint, not in the model): ").Append(string.Join(", ", unexpected));
        if (shapes.Count > 0) s.Append("\n  shape mismatches:").Append(string.Concat(shapes.Select(m => "\n    " + m)));
        return s.ToString();
    }
}
