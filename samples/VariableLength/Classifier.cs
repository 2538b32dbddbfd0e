using System.Collections.Generic;
using System.Linq;
using TorchRnn;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace VariableLength;

/// <summary>A GRU reads each sequence to its own end; a linear layer classifies its last hidden state.</summary>
public sealed class Classifier : torch.nn.Module<PackedSequence, Tensor>
{
    private readonly GRU gru;
    private readonly TorchSharp.Modules.Linear head;

    public Classifier(long features, long hidden, long classes) : base(nameof(Classifier))
    {
        gru = nn.GRU(features, hidden);
        head = torch.nn.Linear(hidden, classes);
        RegisterComponents();
    }

    /// <summary>Logits (N, classes) from h_n, which holds every sequence's state after its own last step.</summary>
    public override Tensor forward(PackedSequence batch)
    {
        var (_, h_n) = gru.call(batch);
        return head.call(h_n[-1]);
    }

    /// <summary>The same model on one sequence (L, features), unbatched and unpadded: logits (classes).</summary>
    public Tensor Alone(Tensor sequence)
    {
        var (_, h_n) = gru.call(sequence);
        return head.call(h_n[-1]);
    }
}

/// <summary>
/// The task: is the sequence's last value above its first? Lengths vary from 1 to <see cref="MaxLength"/>; padding
/// the batch with zeros would change the answer for every short sequence if the GRU read the padding.
/// </summary>
public static class Task
{
    public const int MaxLength = 12;

    public static (List<Tensor> Sequences, Tensor Labels) Batch(int size)
    {
        var lengths = torch.randint(2, MaxLength + 1, [size]).data<long>().ToArray();
        var sequences = lengths.Select(l => torch.randn(l, 1)).ToList();
        var labels = torch.stack(sequences.Select(s => (s[-1, 0] > s[0, 0]).to(torch.int64)).ToList());
        return (sequences, labels);
    }

    public static PackedSequence Pack(IEnumerable<Tensor> sequences) => nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false);
}
