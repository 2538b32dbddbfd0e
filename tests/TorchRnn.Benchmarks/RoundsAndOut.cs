using System;
using System.Collections.Generic;
using System.Globalization;

namespace TorchRnn.Benchmarks;

/// <summary>The arguments of the runners that take only <c>--rounds N</c> and <c>--out DIR</c>.</summary>
internal static class RoundsAndOut
{
    /// <summary>Reads <paramref name="args"/>; anything else is an error naming <paramref name="mode"/>.</summary>
    /// <returns>The rounds (21 unless given) and the report's folder (<paramref name="outDir"/> unless given).</returns>
    /// <exception cref="ArgumentException">An unknown argument, or an option without its value.</exception>
    public static (int Rounds, string OutDir) Parse(IReadOnlyList<string> args, string mode, string outDir)
    {
        var rounds = 21;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--out": outDir = Program.Value(args, ref i); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}' for {mode}.");
            }
        }
        return (rounds, outDir);
    }
}
