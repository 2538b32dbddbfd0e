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
        var (code, output, _) = RunCapturingErrors(assembly, args);
        return (code, output);
    }

    /// <summary>As <see cref="Run"/>, also capturing standard error.</summary>
    public static (object? Code, string Output, string Error) RunCapturingErrors(string assembly, params string[] args)
    {
        var entry = Assembly.Load(assembly).EntryPoint!;
        var (previousOut, previousError) = (Console.Out, Console.Error);
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            return (entry.Invoke(null, [args]), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}
