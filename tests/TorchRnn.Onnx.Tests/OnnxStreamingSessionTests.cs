using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

/// <summary>
/// A sequence streamed through ONNX Runtime in chunks, the states kept by <see cref="OnnxStreamingSession"/>, gives
/// what TorchRnn gives for the whole sequence at once; resets restart the streams they name.
/// </summary>
[TestFixture]
public class OnnxStreamingSessionTests
{
    private static readonly int[] Chunks = [1, 1, 3, 2, 5];

    /// <summary>Streams <paramref name="sequence"/> (L, N, H_in) in chunks of <see cref="Chunks"/> steps; the outputs joined.</summary>
    private static Tensor Stream(OnnxStreamingSession stream, Tensor sequence, IEnumerable<int> chunks)
    {
        var outputs = new List<Tensor>();
        var start = 0;
        foreach (var length in chunks)
        {
            using var x = Runtime.ToOrt(sequence[start..(start + length)]);
            using var results = stream.run(("input", x));
            outputs.Add(Runtime.FromOrt(results[0]));
            start += length;
        }
        return torch.cat(outputs, 0);
    }

    private static InferenceSession Session(Exported exported)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        return new InferenceSession(exported.Bytes, options);
    }

    [Test]
    public void Run_GruInChunks_MatchesTorchRnnOnTheWholeSequence()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(21);
        var gru = nn.GRU(4, 6, num_layers: 2);
        gru.eval();
        using var exported = Exported.Of(gru, torch.randn(5, 3, 4));
        using var inference = Session(exported);
        using var stream = new OnnxStreamingSession(inference, batch_size: 3);
        Assert.That(stream.output_names, Is.EqualTo(new[] { "output" }));

        var sequence = torch.randn(Chunks.Sum(), 3, 4);
        var streamed = Stream(stream, sequence, Chunks);
        using var noGrad = torch.no_grad();
        var (output, h_n) = gru.call(sequence);
        Close.Assert(streamed, output, "output");
        Close.Assert(Runtime.FromOrt(stream.state("h0")), h_n, "the state after the last chunk");
    }

    [Test]
    public void Run_ProjectedLstmFloat64InChunks_MatchesTorchRnnOnTheWholeSequence()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(22);
        var lstm = nn.LSTM(4, 6, num_layers: 2, proj_size: 3, dtype: ScalarType.Float64);
        lstm.eval();
        using var exported = Exported.Of(lstm, torch.randn(5, 2, 4, dtype: ScalarType.Float64));
        using var inference = Session(exported);
        using var stream = new OnnxStreamingSession(inference, batch_size: 2);

        var sequence = torch.randn(Chunks.Sum(), 2, 4, dtype: ScalarType.Float64);
        var streamed = Stream(stream, sequence, Chunks);
        using var noGrad = torch.no_grad();
        var (output, (h_n, c_n)) = lstm.call(sequence);
        Close.Assert(streamed, output, "output");
        Close.Assert(Runtime.FromOrt(stream.state("h0")), h_n, "h_n");
        Close.Assert(Runtime.FromOrt(stream.state("c0")), c_n, "c_n");
    }

    [Test]
    public void ResetStates_OneRow_RestartsThatStreamAndLeavesTheOthers()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(23);
        var gru = nn.GRU(2, 5);
        gru.eval();
        using var exported = Exported.Of(gru, torch.randn(4, 3, 2));
        using var inference = Session(exported);
        using var stream = new OnnxStreamingSession(inference, batch_size: 3);

        var sequence = torch.randn(9, 3, 2);
        Stream(stream, sequence[..4], [2, 2]);
        stream.reset_states(1); // stream 1 ends; a new stream takes its row
        var after = Stream(stream, sequence[4..], [1, 4]);

        using var noGrad = torch.no_grad();
        var (whole, _) = gru.call(sequence);
        Close.Assert(after[.., 0], whole[4.., 0], "stream 0 goes on");
        Close.Assert(after[.., 2], whole[4.., 2], "stream 2 goes on");
        var (restarted, _) = gru.call(sequence[4.., 1..2]);
        Close.Assert(after[.., 1..2], restarted, "stream 1 starts anew from zeros");
    }

    [Test]
    public void ResetStates_All_StartsEveryStreamAnew()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(24);
        var rnn = nn.RNN(3, 4, num_layers: 2, dtype: ScalarType.Float64);
        rnn.eval();
        using var exported = Exported.Of(rnn, torch.randn(4, 2, 3, dtype: ScalarType.Float64));
        using var inference = Session(exported);
        using var stream = new OnnxStreamingSession(inference, batch_size: 2);

        Stream(stream, torch.randn(5, 2, 3, dtype: ScalarType.Float64), [5]);
        stream.reset_states();
        var sequence = torch.randn(6, 2, 3, dtype: ScalarType.Float64);
        var streamed = Stream(stream, sequence, [3, 3]);
        using var noGrad = torch.no_grad();
        Close.Assert(streamed, rnn.call(sequence).output, "after reset_states()");
    }

    [Test]
    public void Constructor_StateTheModelDoesNotHave_ThrowsNamingIt()
    {
        using var scope = torch.NewDisposeScope();
        var gru = nn.GRU(2, 3);
        gru.eval();
        using var exported = Exported.Of(gru, torch.randn(4, 1, 2));
        using var inference = Session(exported);
        var error = Assert.Throws<ArgumentException>(() => new OnnxStreamingSession(inference, 1, ("h0", "h_n"), ("c0", "c_n")));
        Assert.That(error!.Message, Does.StartWith("The model has no input 'c0'."));
    }

    [Test]
    public void RunAndReset_StateInputOrRowOutsideTheBatch_Throw()
    {
        using var scope = torch.NewDisposeScope();
        var gru = nn.GRU(2, 3);
        gru.eval();
        using var exported = Exported.Of(gru, torch.randn(4, 2, 2));
        using var inference = Session(exported);
        using var stream = new OnnxStreamingSession(inference, batch_size: 2);
        using var h = Runtime.ToOrt(torch.zeros(1, 2, 3));
        Assert.That(() => stream.run(("h0", h)), Throws.ArgumentException.With.Message.StartsWith("'h0' is a state input"));
        Assert.That(() => stream.reset_states(2), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
