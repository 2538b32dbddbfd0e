using TorchRnn;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Patterns;

/// <summary>
/// Many-to-many, unaligned: an encoder-decoder that reverses a sequence of tokens. The encoder (<c>nn.RNN</c>) reads
/// all 6 tokens first; its h_n starts the decoder (<c>nn.RNNCell</c>), which then emits one token per step, fed
/// back as its next input, so output step t depends on input step L - 1 - t, not on input step t.
/// </summary>
public static class ManyToManyUnaligned
{
    /// <summary>The sequence length L.</summary>
    public const int Length = 6;

    /// <summary>The number of tokens V; the decoder's start token is V itself.</summary>
    public const int Vocabulary = 6;

    /// <summary>The encoder, the decoder cell and the decoder's output layer.</summary>
    public sealed class EncoderDecoder : torch.nn.Module<Tensor, Tensor?, Tensor>
    {
        private readonly RNN encoder;
        private readonly RNNCell decoder;
        private readonly TorchSharp.Modules.Linear head;

        /// <summary><c>nn.RNN(V, hidden)</c>, <c>nn.RNNCell(V + 1, hidden)</c> (the start token too), <c>Linear(hidden, V)</c>.</summary>
        public EncoderDecoder(long hidden) : base(nameof(EncoderDecoder))
        {
            encoder = nn.RNN(Vocabulary, hidden);
            decoder = nn.RNNCell(Vocabulary + 1, hidden);
            head = torch.nn.Linear(hidden, Vocabulary);
            RegisterComponents();
        }

        /// <summary>The encoder's last hidden state for tokens (L, N): h_n[0], (N, hidden).</summary>
        public Tensor Encode(Tensor source)
        {
            var (_, h_n) = encoder.call(OneHot(source, Vocabulary));
            return h_n[0];
        }

        /// <summary>
        /// Source tokens (L, N) to scores (L, N, V). With <paramref name="target"/> (training) the decoder reads the
        /// true previous token (teacher forcing); without it, its own best guess.
        /// </summary>
        public override Tensor forward(Tensor source, Tensor? target)
        {
            var h_t = Encode(source);
            var token = torch.full(source.shape[1], Vocabulary, dtype: torch.int64); // the start token
            var scores = new Tensor[Length];
            for (var t = 0; t < Length; t++)
            {
                h_t = decoder.call(OneHot(token, Vocabulary + 1), h_t);
                scores[t] = head.call(h_t);
                token = target is null ? scores[t].argmax(-1) : target[t];
            }
            return torch.stack(scores);
        }
    }

    /// <summary>A batch: source tokens (L, N) uniform over V, and the target, the source reversed in time.</summary>
    public static (Tensor source, Tensor target) Batch(long n)
    {
        var source = torch.randint(Vocabulary, [Length, n], dtype: torch.int64);
        return (source, source.flip(0));
    }

    /// <summary>How many batches <see cref="Run"/> trains for unless told otherwise.</summary>
    public const int DefaultSteps = 600;

    /// <summary>Seeds, trains for <paramref name="steps"/> batches of 64, prints shapes and per-token accuracy on 1000 held-out sequences.</summary>
    public static PatternResult Run(int seed, int steps = DefaultSteps)
    {
        using var threads = Training.OneThread();
        using var scope = torch.NewDisposeScope(); // frees the data on return, as disposing the model frees its weights
        torch.manual_seed(seed);
        using var model = new EncoderDecoder(64);
        var (source, target) = Batch(1000);
        Training.PrintShapes("many-to-many, unaligned (reverse the tokens)",
            ("source tokens (L, N)", source), ("one-hot x (L, N, V)", OneHot(source, Vocabulary)),
            ("encoder h_n[0] = decoder h_0 (N, H)", model.Encode(source)), ("scores (L, N, V)", model.call(source, null)));

        Training.Fit(model, steps, 0.01, () =>
        {
            var (sb, tb) = Batch(64);
            return torch.nn.functional.cross_entropy(model.call(sb, tb).reshape(-1, Vocabulary), tb.reshape(-1));
        });

        using var _ = torch.no_grad();
        return Training.Report(new PatternResult("many-to-many, unaligned", "accuracy", Training.Accuracy(model.call(source, null), target), Training.Chance(target), true));
    }

    private static Tensor OneHot(Tensor tokens, int classes) => torch.nn.functional.one_hot(tokens, classes).to(torch.float32);
}
