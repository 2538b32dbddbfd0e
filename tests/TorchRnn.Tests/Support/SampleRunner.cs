using System;
using System.IO;
using System.Reflection;

namespace TorchRnn.Tests.Support;

/// <summary>Runs a sample's Main in this process, capturing what it prints. Callers are [NonParallelizable].</summary>
public static class SampleRunner
{
    /// <summary>Invokes the entry point of the referenced sample <paramref name="assembly"/> with <paramref name="args"/>.</summary>
    /// <returns>Main's exit code and its standard output, with "\n" line ends.</returns>
    public static (object? Code, string Output) Run(string assembly, params string[] args)
    {
        var entry = Assembly.Load(assembly).EntryPoint!;
        var previous = Console.Out;
        var captured = new StringWriter { NewLine = "\n" };
        Console.SetOut(captured);
        try
        {
            return (entry.Invoke(null, [args]), captured.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
