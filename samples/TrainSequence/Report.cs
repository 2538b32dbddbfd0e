using System;
using System.Collections.Generic;
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
            line.LegendText = $"{Label(run.Options)}: accuracy {run.FinalAccuracy:P0}";
            line.LineWidth = 2.5f;
            line.Color = palette.GetColor(i++);
        }
        if (runs.Count > 0)
        {
            var chance = Math.Log(runs[0].Options.Symbols);
            var guess = plot.Add.HorizontalLine(chance);
            guess.LinePattern = ScottPlot.LinePattern.Dashed;
            guess.Color = ScottPlot.Colors.Gray;
            guess.LegendText = $"guessing: ln {runs[0].Options.Symbols} = {chance:0.000}";
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
        File.WriteAllText(path, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The cell and the remedies that differ from the defaults, e.g. <c>rnn clip=1 tbptt=10</c>.</summary>
    public static string Label(TrainOptions o)
    {
        var parts = new List<string> { o.Cell };
        if (o.ClipNorm > 0) parts.Add($"clip={o.ClipNorm:G4}");
        if (o.WeightDecay > 0) parts.Add($"wd={o.WeightDecay:G4}");
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
