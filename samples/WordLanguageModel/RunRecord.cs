using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>
/// <c>--record</c>: a training run's options and measurements as JSON, in the layout the Python twin writes (snake_case
/// keys), so the two runs compare number for number.
/// </summary>
public static class RunRecord
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Record doubles with every digit: the comparison with PyTorch is at the last bits of float32.
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Writes the record.</summary>
    /// <param name="path">The JSON file; replaced if it exists.</param>
    /// <param name="options">The run's options.</param>
    /// <param name="result">What it measured.</param>
    public static void Write(string path, TrainOptions options, TrainResult result)
    {
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, new
        {
            args = options,
            ntokens = result.Vocabulary,
            batches = result.Batches,
            epochs = result.Epochs,
            test_loss = result.TestLoss,
        }, Json);
    }

    /// <summary>Reads a record written here or by the Python twin.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>Its batches, epochs and test loss.</returns>
    public static TrainResult Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        return new TrainResult(
            root.GetProperty("batches").Deserialize<BatchRecord[]>(Json)!,
            root.GetProperty("epochs").Deserialize<EpochRecord[]>(Json)!,
            root.GetProperty("test_loss").GetDouble(),
            root.GetProperty("ntokens").GetInt32());
    }
}
