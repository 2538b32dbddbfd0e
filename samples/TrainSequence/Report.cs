using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace TorchRnn.Samples;

/// <summary>The sample's outputs besides the console: the loss-curve PNG and summary.json.</summary>
public static class Report
{
    /// <summary>Writes every run's training loss (a moving average over batches) against the batch, as a PNG.</summary>
    public static void SaveLossChart(IReadOnlyList<RunResult> runs, string path, int width = 1000, int height = 600)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var i = 0;
        foreach (var run in runs)
        {
            var smoothed = MovingAverage(run.BatchLosses, window: 10);
            var line = plot.Add.ScatterLine(Enumerable.Range(1, smoothed.Length).Select(b => (double)b).ToArray(), smoothed);
            line.LegendText = $"{Label(run.Options)}: accuracy {Py.format(run.FinalAccuracy, ".0%")}";
            line.LineWidth = 2.5f;
            line.Color = palette.GetColor(i++);
        }
        if (runs.Count > 0)
        {
            var chance = Math.Log(runs[0].Options.Symbols);
            var guess = plot.Add.HorizontalLine(chance);
            guess.LinePattern = ScottPlot.LinePattern.Dashed;
            guess.Color = ScottPlot.Colors.Gray;
            guess.LegendText = $"guessing: ln {runs[0].Options.Symbols} = {Py.format(chance, ".3f")}";
        }
        plot.Title("Delayed recall: training loss (moving average of 10 batches)");
        plot.XLabel("batch (optimizer step)");
        plot.YLabel("cross-entropy");
        plot.Axes.SetLimitsY(0, Math.Max(1.6, runs.Count > 0 ? Math.Log(runs[0].Options.Symbols) * 1.15 : 1.6));
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        plot.SavePng(path, width, height);
    }

    /// <summary>Writes the final figures of every run as JSON.</summary>
    public static void SaveSummary(IReadOnlyList<RunResult> runs, string path)
    {
        var summary = runs.Select(r => new
        {
            run = Label(r.Options),
            cell = r.Options.Cell,
            final_loss = r.FinalLoss,
            final_accuracy = r.FinalAccuracy,
            chance = r.Chance,
            max_grad_norm = r.Epochs.Max(e => e.GradNorm),
            seconds = Math.Round(r.Seconds, 2),
            options = r.Options,
            epochs = r.Epochs,
        });
        // One key style throughout, Python's: the options and epochs (C# records) are written snake_case too.
        var json = new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        File.WriteAllText(path, JsonSerializer.Serialize(summary, json));
    }

    /// <summary>
    /// One epoch's progress row, as wide while the epoch runs (<paramref name="result"/> null) as after it, so a live
    /// display keeps its columns still: <c>lstm epoch  3/15  loss  0.693  accuracy  50%</c>.
    /// </summary>
    public static string EpochRow(string label, int epoch, int epochs, EpochResult? result)
    {
        var width = epochs.ToString(CultureInfo.InvariantCulture).Length;
        var head = $"{label} epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{epochs.ToString(CultureInfo.InvariantCulture)}";
        var loss = result is null ? "-" : Py.format(result.Loss, ".3f");
        var accuracy = result is null ? "-" : Py.format(result.Accuracy, ".0%");
        return $"{head}  loss {loss,6}  accuracy {accuracy,4}";
    }

    /// <summary>The cell and the remedies that differ from the defaults, e.g. <c>rnn clip=1 tbptt=10</c>.</summary>
    public static string Label(TrainOptions o)
    {
        var parts = new List<string> { o.Cell };
        if (o.ClipNorm > 0) parts.Add($"clip={Py.format(o.ClipNorm, "")}");
        if (o.WeightDecay > 0) parts.Add($"wd={Py.format(o.WeightDecay, "")}");
        if (o.Tbptt > 0) parts.Add($"tbptt={o.Tbptt}");
        return string.Join(' ', parts);
    }

    private static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        var sum = 0.0;
        for (var i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
