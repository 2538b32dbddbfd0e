// The four shapes of a recurrent model, each a small seeded example on synthetic data that trains in seconds on a
// CPU. The patterns live in the files beside this one (ManyToOne.cs, ManyToManyAligned.cs, OneToMany.cs,
// ManyToManyUnaligned.cs), each printing its shapes, then its held-out accuracy or error next to chance.
//   dotnet run -c Release --project samples/Patterns -- --seed 0
// --steps N trains every pattern for N batches instead of its default (for a quick look).
using System;
using System.Globalization;
using Patterns;

// 1. Read --seed S and --steps N.
var seed = 0;
int? steps = null;
for (var i = 0; i < args.Length; i += 2)
{
    if (i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
        && (args[i] == "--seed" || (args[i] == "--steps" && value > 0)))
    {
        if (args[i] == "--seed")
            seed = value;
        else
            steps = value;
    }
    else
    {
        Console.Error.WriteLine("usage: Patterns [--seed S] [--steps N]");
        return 2;
    }
}

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
