// The samples' one command-line convention, linked into every sample by Sample.props (see samples/README.md):
// System.CommandLine parses, --help / -h prints the options with their defaults, an unknown option or a malformed
// value is an error on standard error with exit code 2, and a sample's own checks (a positive count) are validators.
using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;

namespace TorchRnn.Samples;

/// <summary>Builds and reads a sample's command line, the same way in every sample.</summary>
internal static class SampleCommandLine
{
    /// <summary>The exit code for a command line that cannot run (an unknown option, a malformed value).</summary>
    public const int UsageError = 2;

    /// <summary>A command named after the sample, with <c>--help</c> and the given options.</summary>
    public static Command Create(string name, string description, params Option[] options)
    {
        var command = new Command(name, description) { new HelpOption() };
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
        return command;
    }

    /// <summary>An option with a default, shown in <c>--help</c>.</summary>
    public static Option<T> Option<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary><paramref name="option"/>, refusing values below <paramref name="minimum"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum) =>
        option.Check(value => value >= minimum ? null : $"{option.Name} must be at least {minimum.ToString(CultureInfo.InvariantCulture)}.");

    /// <summary><paramref name="option"/>, refusing values below <paramref name="minimum"/> when it is given.</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int minimum) =>
        option.Check(value => value is null || value >= minimum ? null : $"{option.Name} must be at least {minimum.ToString(CultureInfo.InvariantCulture)}.");

    /// <summary>
    /// <paramref name="option"/> with a check of its value: <paramref name="error"/> returns the message for a bad value,
    /// null for a good one. A value that did not even parse is System.CommandLine's error already.
    /// </summary>
    public static Option<T> Check<T>(this Option<T> option, Func<T, string?> error)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // malformed: reported by the parser
            }
            if (error(value) is { } message)
            {
                result.AddError(message);
            }
        });
        return option;
    }

    /// <summary>
    /// Parses <paramref name="args"/>. False when the sample must stop: after <c>--help</c> (exit code 0) or on an
    /// error (printed to standard error with a hint, exit code <see cref="UsageError"/>).
    /// </summary>
    public static bool TryParse(Command command, string[] args, out ParseResult result, out int exitCode)
    {
        result = command.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                Console.Error.WriteLine($"{command.Name}: {error.Message}");
            }
            Console.Error.WriteLine($"Try '{command.Name} --help' for the options.");
            exitCode = UsageError;
            return false;
        }
        if (result.Action is HelpAction)
        {
            // Console.Out as it is now (a test may have redirected it), not as it was when the command was built.
            exitCode = result.Invoke(new InvocationConfiguration { Output = Console.Out, Error = Console.Error });
            return false;
        }
        exitCode = 0;
        return true;
    }
}
