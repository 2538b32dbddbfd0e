using System.Collections.Generic;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ForecastMlNet;

/// <summary>ML.NET's input row: the previous years' sunspot numbers, oldest first. The column is named after the ONNX
/// model's input.</summary>
public sealed class SunspotHistory
{
    public const int Window = 24;

    [ColumnName("input")]
    [VectorType(Window)]
    public float[] History { get; set; } = new float[Window];
}

/// <summary>ML.NET's output row: the ONNX model's output, (1, 1) per row: next year's sunspot number.</summary>
public sealed class SunspotPrediction
{
    [ColumnName("output")]
    public float[] Forecast { get; set; } = [];
}

/// <summary>The ML.NET side: a pipeline with the exported model in it, and a PredictionEngine over it.</summary>
public static class MlNetForecast
{
    /// <summary>
    /// The pipeline an ML.NET user writes: <c>ApplyOnnxModel</c> maps the column <c>input</c> (a vector of
    /// <see cref="SunspotHistory.Window"/> floats) to the model's input, whose batch axis is dynamic, so
    /// <c>shapeDictionary</c> gives ML.NET one row's shape (1, window); the model's <c>output</c> comes back as a column.
    /// Fitting learns nothing (the model is trained); it binds the schema.
    /// </summary>
    public static ITransformer Fit(MLContext ml, string onnxPath)
    {
        var pipeline = ml.Transforms.ApplyOnnxModel(
            outputColumnNames: ["output"],
            inputColumnNames: ["input"],
            modelFile: onnxPath,
            shapeDictionary: new Dictionary<string, int[]> { ["input"] = [1, SunspotHistory.Window] },
            gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100);
        return pipeline.Fit(ml.Data.LoadFromEnumerable(new List<SunspotHistory>()));
    }

    /// <summary>One forecast per window, through a PredictionEngine (one row at a time, as a service would).</summary>
    public static float[] Predict(MLContext ml, ITransformer model, IEnumerable<float[]> windows)
    {
        using var engine = ml.Model.CreatePredictionEngine<SunspotHistory, SunspotPrediction>(model);
        var forecasts = new List<float>();
        foreach (var window in windows) forecasts.Add(engine.Predict(new SunspotHistory { History = window }).Forecast[0]);
        return [.. forecasts];
    }
}
