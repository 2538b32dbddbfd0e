using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchRnn;
using TorchRnn.Onnx;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace ForecastMlNet;

/// <summary>
/// Next year's sunspot number from the previous <c>window</c> years: the values scaled by a constant, an LSTM over
/// them, a Linear on its last output, scaled back. Raw numbers in, a raw number out, so an ML.NET pipeline needs no
/// normalising step of its own.
/// </summary>
public sealed class SunspotForecaster : torch.nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm;
    private readonly TorchSharp.Modules.Linear head;

    public SunspotForecaster(long hidden, float scale) : base(nameof(SunspotForecaster))
    {
        lstm = nn.LSTM(1, hidden, batch_first: true);
        head = torch.nn.Linear(hidden, 1);
        Scale = scale;
        RegisterComponents();
    }

    /// <summary>The constant the values are divided by before the LSTM (the training years' largest value).</summary>
    public float Scale { get; }

    // x: (N, window) sunspot numbers -> (N, 1), the next year's.
    public override Tensor forward(Tensor x)
    {
        var (output, _) = lstm.call((x / Scale).unsqueeze(-1));
        return head.call(output.select(1, -1)) * Scale;
    }

    // The same lines on OnnxTensor, for the export.
    public OnnxTensor forward(OnnxTensor x)
    {
        var (output, _) = lstm.call((x / OnnxTensor.full_like(x, Scale)).unsqueeze(-1));
        var y = head.call(output.select(1, -1));
        return y * OnnxTensor.full_like(y, Scale);
    }
}

/// <summary>The yearly sunspot numbers (data/sunspots.csv) and the windows cut from them.</summary>
public sealed class Sunspots
{
    private Sunspots(int[] years, float[] values) => (Years, Values) = (years, values);

    public int[] Years { get; }

    public float[] Values { get; }

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "sunspots.csv");

    /// <summary>Reads statsmodels' <c>"YEAR","SUNACTIVITY"</c> file.</summary>
    public static Sunspots Load(string path)
    {
        var rows = File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        return new Sunspots(
            rows.Select(r => int.Parse(r[0], CultureInfo.InvariantCulture)).ToArray(),
            rows.Select(r => float.Parse(r[1], CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>For each target index t in [from, to): the window of the <paramref name="window"/> values before it.</summary>
    public float[][] Windows(int window, int from, int to)
        => Enumerable.Range(from, to - from).Select(t => Values[(t - window)..t]).ToArray();

    /// <summary>The windows as a (N, window) tensor.</summary>
    public static Tensor Stack(IReadOnlyList<float[]> windows)
        => torch.tensor(windows.SelectMany(w => w).ToArray(), [windows.Count, windows[0].Length]);
}
