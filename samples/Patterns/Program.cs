// The four shapes of a recurrent model, each a small seeded example on synthetic data that trains in seconds on a
// CPU. The patterns live in the files beside this one (ManyToOne.cs, ManyToManyAligned.cs, OneToMany.cs,
// ManyToManyUnaligned.cs), each printing its shapes, then its held-out accuracy or error next to chance.
//   dotnet run -c Release --project samples/Patterns -- --seed 0
// --steps N trains every pattern for N batches instead of its default (for a quick look).
using System;
using System.CommandLine;
using Patterns;
using TorchRnn.Samples;

// 1. Read --seed S and --steps N.
var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0);
var stepsOption = new Option<int?>("--steps") { Description = "Train every pattern for N batches instead of its default." }.AtLeast(1);
var command = SampleCommandLine.Create("Patterns", "The four shapes of a recurrent model, each trained on synthetic data.", seedOption, stepsOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
var seed = parsed.GetValue(seedOption);
var steps = parsed.GetValue(stepsOption);

// 2. Many-to-one: a sequence in, one answer out (the RNN's last hidden state, h_n).
var results = new[]
{
    ManyToOne.Run(seed, steps ?? ManyToOne.DefaultSteps),
    // 3. Many-to-many, aligned: one answer per input step (the RNN's output at every step).
    ManyToManyAligned.Run(seed, steps ?? ManyToManyAligned.DefaultSteps),
    // 4. One-to-many: one input, a generated sequence (an RNNCell fed its own outputs).
    OneToMany.Run(seed, steps ?? OneToMany.DefaultSteps),
    // 5. Many-to-many, unaligned: an encoder RNN reads everything, a decoder RNNCell writes the answer.
    ManyToManyUnaligned.Run(seed, steps ?? ManyToManyUnaligned.DefaultSteps),
};

// 6. All four against chance.
Console.WriteLine("summary");
foreach (var result in results)
    Console.WriteLine($"  {result}");
return 0;
