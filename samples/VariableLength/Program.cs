// Variable-length sequences classified by a packed GRU. Padding a batch to its longest sequence is how tensors
// hold ragged data; packing tells the GRU where each sequence ends, so the padding never enters the result.
using System.Linq;
using TorchRnn; // brings TorchRnn.nn, so nn.utils.rnn.pack_sequence(...) reads as in PyTorch
using TorchRnn.Samples;
using TorchSharp;
using VariableLength;

var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0L);
var command = SampleCommandLine.Create("VariableLength", "Variable-length sequences padded, packed and classified by a GRU.", seedOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
torch.manual_seed(parsed.GetValue(seedOption));
torch.set_num_threads(1); // tiny tensors: a thread pool costs more than it saves

// 1. Three sequences of lengths 4, 1 and 3, one feature each, padded into one (L, N, 1) tensor and packed.
var sequences = new[] { torch.randn(4, 1), torch.randn(1, 1), torch.randn(3, 1) };
var padded = nn.utils.rnn.pad_sequence(sequences);
var packed = nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false);
Py.print("padded:", padded.shape, "packed data:", packed.data.shape);
Py.print("batch_sizes:", packed.batch_sizes, "sorted_indices:", packed.sorted_indices);

// 2. Train a GRU classifier on packed batches: is a sequence's last value above its first?
var model = new Classifier(1, 16, 2);
var optimizer = torch.optim.Adam(model.parameters(), 0.01);
for (var step = 1; step <= 300; step++)
{
    using var scope = torch.NewDisposeScope();
    var (batch, labels) = Task.Batch(32);
    var loss = torch.nn.functional.cross_entropy(model.call(Task.Pack(batch)), labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (step % 100 == 0) Py.print($"step {step}: loss", Py.format(loss.item<float>(), ".4f"));
}

// 3. Evaluate on fresh sequences.
model.eval();
using (torch.no_grad())
{
    var (test, labels) = Task.Batch(500);
    var logits = model.call(Task.Pack(test));
    var accuracy = logits.argmax(-1).eq(labels).to(torch.float64).mean().item<double>();
    Py.print("accuracy on 500 new sequences:", Py.format(accuracy, ".3f"), "(chance about 0.5)");

    // 4. The padding changes nothing: each sequence alone gives what it gives inside the packed batch.
    var alone = torch.stack(test.Select(model.Alone).ToList());
    var difference = (alone - logits).abs().max().item<float>();
    Py.print("largest difference, packed batch vs each sequence alone:", Py.format(difference, ".2e"));
    return difference < 1e-5 && accuracy > 0.9 ? 0 : 1;
}
