// The README's "Porting from PyTorch" table, as code that compiles: each `// py:` comment is a PyTorch line and the
// line under it its C# port. PortingTableTests checks that the README's table is exactly these rows. The usings are
// the recommended ones (README "One nn"), with F for torch.nn.functional as PyTorch scripts import it.
using System;
using TorchRnn.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ports;

using TorchRnn;
using F = TorchRnn.nn.functional;

// py: class Head(nn.Module):
sealed class Head : nn.Module<Tensor, Tensor>
{
    // py: self.fc = nn.Linear(32, 5)
    private readonly Linear fc = nn.Linear(32, 5);

    // py: super().__init__()
    public Head() : base(nameof(Head)) => RegisterComponents();

    // py: def forward(self, x):
    public override Tensor forward(Tensor x) => fc.call(x);
}

sealed class Scorer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear fc = nn.Linear(32, 5);

    public Scorer() : base(nameof(Scorer)) => RegisterComponents();

    // py: def forward(self, x, target=None):
    public override Tensor forward(Tensor x, Tensor? target) => target is null ? fc.call(x) : fc.call(x) - target;

    // py: scores = scorer(x)   # target left out: redeclare call with Python's default
    public new Tensor call(Tensor x, Tensor? target = null) => base.call(x, target);
}

internal static class PortingTable
{
    internal static void Rows(Tensor e, Tensor lengths, Tensor target, Embedding encoder, Linear decoder, Sequential seq, Tensor input,
        HiddenState? hidden, double lr)
    {
        // py: torch.manual_seed(0)
        torch.manual_seed(0);
        // py: x = torch.randint(0, 100, (4, 7))
        var x = torch.randint(0, 100, [4, 7]);
        // py: lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True)
        var lstm = nn.LSTM(16, 32, num_layers: 2, batch_first: true);
        // py: output, (h_n, c_n) = lstm(e)
        var (output, (h_n, c_n)) = lstm.call(e);
        // py: rnn = getattr(nn, rnn_type)(16, 32, 2)   # rnn_type = "LSTM", "GRU", ...
        RNNBase rnn = nn.RNNBase("LSTM", 16, 32, 2);
        // py: y_rnn, hidden = rnn(e, hidden)
        (var y_rnn, hidden) = rnn.call(e, hidden);
        // py: hidden = repackage_hidden(hidden)   # h.detach() for each tensor
        hidden = hidden?.detach();
        // py: packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        var packed = nn.utils.rnn.pack_padded_sequence(e, lengths, batch_first: true, enforce_sorted: false);
        // py: y, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True)
        var (y, _) = nn.utils.rnn.pad_packed_sequence(lstm.call(packed).output, batch_first: true);
        // py: z = seq(input)
        var z = seq.call(input);
        // py: loss = F.cross_entropy(y.reshape(-1, 5), target)
        var loss = F.cross_entropy(y.reshape(-1, 5), target);
        // py: print(y.shape, loss)
        Py.print(y.shape, loss);
        // py: loss.item()
        var value = loss.item<float>();
        // py: decoder.weight = encoder.weight
        decoder.weight = encoder.weight!;
        // py: model = Head()
        var model = new Head();
        // py: torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        nn.utils.clip_grad_norm_(model.parameters(), 0.25);
        // py: for p in model.parameters(): p.data.add_(p.grad, alpha=-lr)
        foreach (var p in model.parameters()) p.detach().add_(p.grad!, alpha: -lr);
        // py: with torch.no_grad():
        using (torch.no_grad())
        {
            Py.print(model.call(input));
        }
        // py: optimizer = torch.optim.LBFGS(model.parameters())
        var optimizer = optim.LBFGS(model.parameters());
        optimizer.step(() =>
        {
            var loss = F.mse_loss(model.call(input), target);
            loss.backward();
            // py: return loss   # in the closure given to optimizer.step
            return loss;
        });
        // py: torch.save(model.state_dict(), "model.pt")
        Checkpoint.save(model, "model.pt");
        // py: model.load_state_dict(torch.load("model.pt"))
        Checkpoint.load(model, "model.pt");
        GC.KeepAlive((output, h_n, c_n, y_rnn, z, value, x));
    }
}
