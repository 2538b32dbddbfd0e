using System.Globalization;
using TorchRnn;

namespace Patterns;

/// <summary>How a trained pattern did on held-out data, next to what guessing would score.</summary>
/// <param name="Pattern">The pattern's name, e.g. "many-to-one".</param>
/// <param name="Metric">What <paramref name="Score"/> measures, e.g. "accuracy" or "mean |error|".</param>
/// <param name="Score">The trained model's score on held-out data.</param>
/// <param name="Chance">The score of guessing: the most common label's share, or the error of predicting the mean.</param>
/// <param name="HigherIsBetter">True for accuracies, false for errors.</param>
public sealed record PatternResult(string Pattern, string Metric, double Score, double Chance, bool HigherIsBetter)
{
    /// <summary>
    /// The result as one line: <c>many-to-one: accuracy 0.944 (chance 0.508)</c>, or for an error
    /// <c>one-to-many: mean |error| 0.015 (chance, predicting the mean: 0.636)</c>.
    /// </summary>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Pattern}: {Metric} {Py.format(Score, ".3f")} ({(HigherIsBetter ? "chance" : "chance, predicting the mean:")} {Py.format(Chance, ".3f")})");
}
