using System;
using System.IO;
using Spectre.Console;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>Where training and generation report: PyTorch's printed lines, and a bar per loop when a terminal shows it.</summary>
public interface IProgressView
{
    /// <summary>Prints one of the lines PyTorch's example prints.</summary>
    /// <param name="text">The line.</param>
    void Line(string text);

    /// <summary>Starts a bar for a loop (an epoch's batches, an evaluation, the generated words); the previous one ends.</summary>
    /// <param name="label">What the loop is.</param>
    /// <param name="total">How many steps it takes.</param>
    void Start(string label, long total);

    /// <summary>One step of the current loop done.</summary>
    /// <param name="status">What the bar should say now (the running loss), or null to keep its label.</param>
    void Advance(string? status);
}

/// <summary>Plain lines, one per <see cref="IProgressView.Line"/>, for logs and pipes: exactly what PyTorch's example prints.</summary>
public sealed class PlainView(TextWriter output) : IProgressView
{
    /// <inheritdoc/>
    public void Line(string text) => output.WriteLine(text);

    /// <inheritdoc/>
    public void Start(string label, long total)
    {
    }

    /// <inheritdoc/>
    public void Advance(string? status)
    {
    }
}

/// <summary>
/// A live Spectre.Console display: PyTorch's lines scroll above a bar per loop (batches done, elapsed and remaining
/// time, the running loss). Runs its body inside the display; only for a terminal.
/// </summary>
public sealed class LiveView : IProgressView
{
    private readonly IAnsiConsole _console;
    private readonly ProgressContext _context;
    private ProgressTask? _task;

    private LiveView(IAnsiConsole console, ProgressContext context)
    {
        _console = console;
        _context = context;
    }

    /// <summary>Runs <paramref name="body"/> with a live view on <paramref name="console"/>, or a plain one when it is not a terminal.</summary>
    /// <typeparam name="T">What the body returns.</typeparam>
    /// <param name="console">The console.</param>
    /// <param name="body">Training or generation.</param>
    /// <returns>What the body returned.</returns>
    public static T Run<T>(IAnsiConsole console, Func<IProgressView, T> body)
    {
        var live = console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
        // Not a terminal: no bar, and lines as they are (Spectre would wrap them at its default width of 80).
        if (!live) return body(new PlainView(Console.Out));
        return console.Progress().AutoClear(true).HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => body(new LiveView(console, context)));
    }

    /// <inheritdoc/>
    public void Line(string text) => _console.WriteLine(text);

    /// <inheritdoc/>
    public void Start(string label, long total)
    {
        _task?.StopTask();
        _task = _context.AddTask(Markup.Escape(label), maxValue: total);
    }

    /// <inheritdoc/>
    public void Advance(string? status)
    {
        if (_task is null) return;
        _task.Increment(1);
        if (status is not null) _task.Description = Markup.Escape($"{status} | {_task.Value}/{_task.MaxValue}");
    }
}
