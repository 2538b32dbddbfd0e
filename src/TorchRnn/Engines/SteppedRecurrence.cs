using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Engines;

/// <summary>
/// The layer stack walked one time step at a time, as ATen's CPU code walks it: each layer and direction over the
/// whole sequence, the directions' outputs concatenated, dropout between layers. Dense input walks every step of
/// the batch; packed input walks ATen's <c>PackedLayer</c> and <c>ReversedPackedLayer</c>. What a step computes is
/// the subclass's (<see cref="Prepare"/>).
/// </summary>
internal abstract class SteppedRecurrence(SequenceOptions options) : SequenceEngine
{
    /// <summary>The module's options.</summary>
    protected SequenceOptions Options { get; } = options;

    /// <summary>
    /// Prepares layer-direction <paramref name="index"/> (layer * D + direction) over <paramref name="layerInput"/>:
    /// (L, N, I) when <paramref name="batchSizes"/> is null, else packed (sum of lengths, I), in the module's mode
    /// <paramref name="training"/>. Called for a layer's forward direction, which then runs, then for its reverse: a
    /// kind that draws masks here draws them in that order.
    /// </summary>
    protected abstract DirectionSteps Prepare(int index, Tensor layerInput, long[]? batchSizes, bool training);

    /// <summary>
    /// Prepares layer-direction <paramref name="index"/> for a single step of (N, I) input; by default as a sequence of
    /// one step.
    /// </summary>
    protected virtual DirectionSteps PrepareStep(int index, Tensor stepInput, bool training) => Prepare(index, stepInput.unsqueeze(0), null, training);

    /// <inheritdoc />
    public override (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training)
    {
        using var scope = torch.NewDisposeScope();
        var timeDim = Options.BatchFirst ? 1 : 0;
        if (input.shape[timeDim] == 1)
        {
            // One step (generation, streaming): layer to layer without stacking and splitting sequences of one.
            var (last, h_n1) = Stack(input.select(timeDim, 0), null, h0, training, singleStep: true);
            return (last.unsqueeze(timeDim).MoveToOuterDisposeScope(), h_n1.MoveToOuterDisposeScope());
        }
        var (output, h_n) = Stack(Options.BatchFirst ? input.transpose(0, 1) : input, null, h0, training);
        if (Options.BatchFirst) output = output.transpose(0, 1);
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training)
    {
        using var scope = torch.NewDisposeScope();
        var (output, h_n) = Stack(data, batchSizes, h0, training);
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The layers and directions over <paramref name="input"/>: (L, N, H_in), packed when <paramref name="batchSizes"/>
    /// is given, or one step (N, H_in) when <paramref name="singleStep"/> (whose dropout draws are a sequence of one's).
    /// </summary>
    private (Tensor output, HiddenState h_n) Stack(Tensor input, long[]? batchSizes, HiddenState h0, bool training, bool singleStep = false)
    {
        var o = Options;
        var directions = (int)o.Directions;
        var hs = h0.h.unbind(0);
        var cs = h0.c?.unbind(0);
        var finalH = new Tensor[hs.Length];
        var finalC = cs is null ? null : new Tensor[cs.Length];
        var layerInput = input;
        for (var layer = 0; layer < o.NumLayers; layer++)
        {
            var outputs = new Tensor[directions];
            for (var direction = 0; direction < directions; direction++)
            {
                var at = layer * directions + direction;
                var initial = new HiddenState(hs[at], cs?[at]);
                HiddenState last;
                if (singleStep)
                {
                    last = PrepareStep(at, layerInput, training).Step(0, initial);
                    outputs[direction] = last.h;
                }
                else
                {
                    var steps = Prepare(at, layerInput, batchSizes, training);
                    var reverse = direction == 1;
                    (outputs[direction], last) = batchSizes is null
                        ? Dense(steps, (int)layerInput.shape[0], initial, reverse)
                        : reverse ? PackedBackward(steps, batchSizes, initial) : PackedForward(steps, batchSizes, initial);
                }
                finalH[at] = last.h;
                if (finalC is not null) finalC[at] = last.c!;
            }
            var layerOutput = directions == 1 ? outputs[0] : torch.cat(outputs, -1);
            layerInput = o.Dropout != 0 && training && layer < o.NumLayers - 1
                ? F.dropout(layerOutput, o.Dropout, training: true)
                : layerOutput;
        }
        return (layerInput, new HiddenState(torch.stack(finalH, 0), finalC is null ? null : torch.stack(finalC, 0)));
    }

    /// <summary>Every step of a dense batch, backwards for the reverse direction; the outputs stacked in time order.</summary>
    private static (Tensor output, HiddenState last) Dense(DirectionSteps steps, int length, HiddenState state, bool reverse)
    {
        var outputs = new Tensor[length];
        for (var i = 0; i < length; i++)
        {
            var t = reverse ? length - 1 - i : i;
            state = Advance(steps, t, state, i > 0);
            outputs[t] = state.h;
        }
        return (torch.stack(outputs, 0), state);
    }

    /// <summary>
    /// One step. The previous c, when an earlier step made it (not the caller's, not a narrowed piece set aside), is
    /// dead afterwards and freed now: every h lives on in the output, but only the last c is kept.
    /// </summary>
    private static HiddenState Advance(DirectionSteps steps, int t, HiddenState state, bool ownsCell)
    {
        var next = steps.Step(t, state);
        // A user's kind may hand c back unchanged.
        if (ownsCell && !ReferenceEquals(next.c, state.c)) state.c?.Dispose();
        return next;
    }

    /// <summary>
    /// ATen's <c>PackedLayer</c>: forward over packed steps; when the batch shrinks, the sequences that ended keep
    /// their state as it is (their final state), and the walk goes on with the rest.
    /// </summary>
    private static (Tensor output, HiddenState last) PackedForward(DirectionSteps steps, long[] batchSizes, HiddenState state)
    {
        var outputs = new Tensor[batchSizes.Length];
        var finished = new List<HiddenState>();
        var running = batchSizes[0];
        for (var t = 0; t < batchSizes.Length; t++)
        {
            var size = batchSizes[t];
            var owned = t > 0;
            if (size < running)
            {
                finished.Add(Rows(state, size, running - size));
                state = Rows(state, 0, size);
                running = size;
                owned = false;
            }
            state = Advance(steps, t, state, owned);
            outputs[t] = state.h;
        }
        finished.Add(state);
        finished.Reverse();
        return (torch.cat(outputs, 0), Concat(finished));
    }

    /// <summary>
    /// ATen's <c>ReversedPackedLayer</c>: from the last step back to the first; sequences join as the walk reaches
    /// their ends, each from its own initial state.
    /// </summary>
    private static (Tensor output, HiddenState last) PackedBackward(DirectionSteps steps, long[] batchSizes, HiddenState initial)
    {
        var outputs = new Tensor[batchSizes.Length];
        var running = batchSizes[^1];
        var state = Rows(initial, 0, running);
        for (var t = batchSizes.Length - 1; t >= 0; t--)
        {
            var size = batchSizes[t];
            var owned = t < batchSizes.Length - 1;
            if (size > running)
            {
                state = Concat([state, Rows(initial, running, size - running)]);
                running = size;
            }
            state = Advance(steps, t, state, owned);
            outputs[t] = state.h;
        }
        return (torch.cat(outputs, 0), state);
    }

    private static HiddenState Rows(HiddenState s, long start, long length)
        => new(s.h.narrow(0, start, length), s.c?.narrow(0, start, length));

    private static HiddenState Concat(List<HiddenState> parts)
    {
        var hs = new Tensor[parts.Count];
        var cs = parts[0].c is null ? null : new Tensor[parts.Count];
        for (var i = 0; i < parts.Count; i++)
        {
            hs[i] = parts[i].h;
            if (cs is not null) cs[i] = parts[i].c!;
        }
        return new HiddenState(torch.cat(hs, 0), cs is null ? null : torch.cat(cs, 0));
    }
}
