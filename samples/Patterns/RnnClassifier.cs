using TorchRnn;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Patterns;

/// <summary>
/// An <c>nn.RNN(input_size, hidden)</c> and a <c>Linear(hidden, classes)</c>: the model of both many-to-one
/// (the linear layer reads h_n[-1], the last layer's last h_t: one answer per sequence) and many-to-many aligned
/// (it reads the output, every step's h_t: one answer per step).
/// </summary>
public sealed class RnnClassifier : torch.nn.Module<Tensor, Tensor>
{
    private readonly RNN rnn;
    private readonly TorchSharp.Modules.Linear head;
    private readonly bool everyStep;

    /// <summary>The two layers; <paramref name="everyStep"/> chooses the pattern.</summary>
    /// <param name="input_size">H_in, the features of each x_t.</param>
    /// <param name="hidden">H_out, the features of each h_t.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="everyStep">False: scores (N, classes) from h_n[-1]. True: scores (L, N, classes) from the output.</param>
    public RnnClassifier(long input_size, long hidden, long classes, bool everyStep) : base(nameof(RnnClassifier))
    {
        rnn = nn.RNN(input_size, hidden);
        head = torch.nn.Linear(hidden, classes);
        this.everyStep = everyStep;
        RegisterComponents();
    }

    /// <summary>x (L, N, H_in) to scores: (N, classes) from h_n[-1], or (L, N, classes) from the output at every step.</summary>
    public override Tensor forward(Tensor x)
    {
        var (output, h_n) = rnn.call(x);
        // The linear layer applies to the last dim, so it maps every step's h_t at once.
        return head.call(everyStep ? output : h_n[-1]);
    }
}
