using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

[TestFixture]
[NonParallelizable] // it writes to Console.Out
public class ForecastMlNetTests
{
    [Test]
    public void ForecastMlNet_ShortRun_MlNetForecastEqualsTorchRnnsAndTheErrorsAreTheData()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"torchrnn-forecast-{Guid.NewGuid():N}");
        try
        {
            var (code, output) = SampleRunner.Run("ForecastMlNet", "--epochs", "40", "--out", dir);
            Assert.That(code, Is.EqualTo(0), output);
            using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "forecast.json")));
            var root = record.RootElement;
            float[] Floats(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var years = root.GetProperty("years").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var (actual, torchRnn, mlNet) = (Floats("actual"), Floats("torchrnn"), Floats("mlnet"));

            // The ML.NET pipeline (ApplyOnnxModel + PredictionEngine) gives TorchRnn's own forecast for every held-out year.
            Assert.That(years, Is.EqualTo(Enumerable.Range(1979, 30)));
            for (var i = 0; i < years.Length; i++)
                Assert.That(mlNet[i], Is.EqualTo(torchRnn[i]).Within(1e-3), $"year {years[i]}");
            Assert.That(torchRnn.Distinct().Count(), Is.GreaterThan(20), "a forecast that varies with its input");

            // The actual values and the baselines are the shipped CSV's numbers, read here independently.
            var csv = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "sunspots.csv")).Skip(1)
                .Select(l => l.Split(',')).ToDictionary(r => int.Parse(r[0], CultureInfo.InvariantCulture), r => float.Parse(r[1], CultureInfo.InvariantCulture));
            Assert.That(actual, Is.EqualTo(years.Select(y => csv[y])));
            Assert.That(Floats("naive"), Is.EqualTo(years.Select(y => csv[y - 1])));
            Assert.That(Floats("seasonal"), Is.EqualTo(years.Select(y => csv[y - 11])));

            // The reported errors are those of the forecasts against the actual values.
            var errors = root.GetProperty("errors");
            foreach (var (name, forecast) in new[] { ("LSTM (ML.NET)", mlNet), ("naive", Floats("naive")), ("seasonal", Floats("seasonal")) })
            {
                var rmse = Math.Sqrt(forecast.Zip(actual, (p, a) => (double)(p - a) * (p - a)).Average());
                var mae = forecast.Zip(actual, (p, a) => Math.Abs((double)p - a)).Average();
                Assert.That(errors.GetProperty(name).GetProperty("rmse").GetDouble(), Is.EqualTo(rmse).Within(1e-9), name);
                Assert.That(errors.GetProperty(name).GetProperty("mae").GetDouble(), Is.EqualTo(mae).Within(1e-9), name);
                Assert.That(output, Does.Contain(string.Create(CultureInfo.InvariantCulture, $"{name,-14} {rmse,6:F2}  {mae,6:F2}")), name);
            }
            Assert.That(File.ReadAllText(Path.Combine(dir, "forecast.svg")), Does.StartWith("<svg").And.Contain("<polyline"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
