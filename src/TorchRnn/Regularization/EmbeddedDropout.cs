using System;
using TorchRnn.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn;

public static partial class nn
{
    /// <summary>
    /// PyTorch's <c>torch.nn.functional</c>: TorchSharp's functions, forwarded, and TorchRnn's AWD-LSTM regularisers
    /// (<see cref="embedded_dropout"/>, <see cref="activation_regularization"/>,
    /// <see cref="temporal_activation_regularization"/>).
    /// </summary>
    public static partial class functional
    {
        /// <summary>
        /// AWD-LSTM's <c>embedded_dropout</c> (salesforce/awd-lstm-lm's embed_regularize.py, BSD-3): drops whole words,
        /// that is whole rows of the embedding's weight, with one mask per call, then looks <paramref name="words"/> up
        /// in the masked weight.
        /// </summary>
        /// <param name="embed">The embedding, V = num_embeddings rows of D features; its weight is read, never changed.</param>
        /// <param name="words">Word indices of any shape, (L, N) in awd's model; int64, each in [0, V).</param>
        /// <param name="dropout">
        /// The probability p of dropping a row, in [0, 1]. The function draws whenever p &gt; 0, in training or not:
        /// as awd's model does, pass <c>training ? p : 0</c>.
        /// </param>
        /// <param name="scale">Null, or a tensor broadcast to (V, D) (a scalar, (1, D), (V, 1)) that multiplies the masked weight.</param>
        /// <param name="padding_idx">
        /// The embedding's <c>padding_idx</c> (negative counts from the end), or null for none: that row gets no
        /// gradient, as in <c>F.embedding</c>. TorchSharp's <see cref="Embedding"/> does not expose its own, so the caller
        /// passes it. (awd's HEAD passed -1 here for "none", which took the last word's gradient away.)
        /// </param>
        /// <returns>
        /// (*words.shape, D): <c>weight[words]</c> with <c>weight = mask / (1 - p) * embed.weight</c>, times the scale
        /// when given. The mask is (V, 1), one <c>bernoulli_(1 - p)</c> in the weight's dtype and device, as awd's
        /// <c>weight.new().resize_((V, 1)).bernoulli_(1 - p)</c>, so after <c>torch.manual_seed(s)</c> it, and every
        /// later draw, equal awd's (on Intel CPUs LibTorch's MKL draws other masks). At p = 0 nothing is drawn; at p = 1
        /// the rows are zeros (awd's 0 / 0 is NaN). Gradients flow to the weight and the scale.
        /// </returns>
        /// <remarks>
        /// The embedding's other lookup options (<c>max_norm</c>, <c>scale_grad_by_freq</c>, <c>sparse</c>) are not
        /// applied: TorchSharp does not expose them, and awd's models set none.
        /// </remarks>
        /// <exception cref="ArgumentOutOfRangeException">
        /// <paramref name="dropout"/> is outside [0, 1] (<c>F.dropout</c>'s message), or <paramref name="padding_idx"/>
        /// is outside [-V, V) (<c>nn.Embedding</c>'s message).
        /// </exception>
        /// <exception cref="ArgumentNullException"><paramref name="embed"/> or <paramref name="words"/> is null.</exception>
        /// <example>
        /// <code>
        /// var encoder = nn.Embedding(10000, 400);
        /// var words = torch.randint(0, 10000, [70, 80]);                                       // (L, N)
        /// var emb = nn.functional.embedded_dropout(encoder, words, dropout: training ? 0.1 : 0); // (L, N, 400)
        /// </code>
        /// </example>
        public static Tensor embedded_dropout(Embedding embed, Tensor words, double dropout = 0.1, Tensor? scale = null, long? padding_idx = null)
        {
            Checks.DropoutProbability(dropout);
            ArgumentNullException.ThrowIfNull(embed);
            ArgumentNullException.ThrowIfNull(words);
            using var scope = torch.NewDisposeScope();
            var weight = (Tensor)embed.weight!;
            var rows = weight.shape[0];
            var padding = PaddingRow(padding_idx, rows);
            if (dropout > 0)
            {
                var kept = 1 - dropout;
                var mask = torch.empty([rows, 1], weight.dtype, weight.device).bernoulli_(kept).expand_as(weight);
                weight = (kept > 0 ? mask / kept : mask) * weight;
            }
            if (scale is not null) weight = scale.expand_as(weight) * weight;
            var lookup = weight.index_select(0, words.reshape(-1)).view([.. words.shape, weight.shape[1]]);
            // F.embedding's padding_idx: the padding row is looked up, but its gradient is never accumulated.
            if (padding is { } row) lookup = torch.where(words.eq(row).unsqueeze(-1), lookup.detach(), lookup);
            return lookup.MoveToOuterDisposeScope();
        }

        /// <summary><c>nn.Embedding</c>'s check and normalisation of padding_idx: [-V, V), negative from the end.</summary>
        private static long? PaddingRow(long? padding_idx, long rows)
        {
            if (padding_idx is not { } p) return null;
            if (p >= rows || p < -rows)
                throw new ArgumentOutOfRangeException(nameof(padding_idx), p, "Padding_idx must be within num_embeddings");
            return p < 0 ? p + rows : p;
        }
    }
}
