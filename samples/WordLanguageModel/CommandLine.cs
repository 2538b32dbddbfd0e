using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.IO;
using Spectre.Console;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>Where the sample finds its data.</summary>
public static class Paths
{
    /// <summary>The copy of WikiText-2's validation and test splits that the build puts beside the program.</summary>
    public static string DefaultData => Path.Combine(AppContext.BaseDirectory, "data", "wikitext-2");
}

/// <summary>
/// The command line: main.py's arguments for training (the root command) and generate.py's for <c>generate</c>,
/// with PyTorch's names and defaults. Unknown or malformed options print an error and exit with 2, as argparse does.
/// </summary>
public static class CommandLine
{
    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="console">Where the progress goes.</param>
    /// <returns>0 on success, 1 when the run fails, 2 for a bad command line.</returns>
    public static int Run(string[] args, IAnsiConsole console)
    {
        // The samples' convention: --help exits 0, a bad command line is "WordLanguageModel: message" and exit code 2.
        if (!SampleCommandLine.TryParse(Build(console), args, out var parse, out var exitCode)) return exitCode;
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    private static Command Build(IAnsiConsole console)
    {
        var defaults = new TrainOptions();
        var quick = TrainOptions.Quick;
        var data = Option("--data", "location of the data corpus (train.txt, valid.txt, test.txt; without train.txt it trains on valid.txt)", defaults.Data);
        var awd = TrainOptions.Awd;
        var model = Option("--model", "type of recurrent net (LSTM, GRU, RNN_TANH, RNN_RELU; AWD: awd-lstm-lm's AWD-LSTM, " +
            "whose defaults are given as 'AWD:' below)", defaults.Model);
        model.AcceptOnlyFromAmong([.. RNNModel.RnnTypes, AwdTrainer.ModelName]);
        var emsize = Positive(Option("--emsize", "size of word embeddings", defaults.Emsize));
        var nhid = Positive(Option("--nhid", $"number of hidden units per layer (AWD: {awd.Nhid}, the last layer emsize)", defaults.Nhid));
        var nlayers = Positive(Option("--nlayers", $"number of layers (AWD: {awd.Nlayers})", defaults.Nlayers));
        var lr = Positive(Option("--lr", $"initial learning rate (AWD: {awd.Lr})", defaults.Lr));
        var clip = Positive(Option("--clip", "gradient clipping", defaults.Clip));
        var epochs = Positive(Option("--epochs", "upper epoch limit", defaults.Epochs));
        var batchSize = Positive(Option("--batch_size", "batch size", defaults.BatchSize));
        var bptt = Positive(Option("--bptt", "sequence length", defaults.Bptt));
        var dropout = Probability(Option("--dropout", $"dropout applied to layers (0 = no dropout) (AWD: locked dropout on the last layer's output, {awd.Dropout})", defaults.Dropout));
        var dropouth = Probability(Option("--dropouth", "AWD: locked dropout on the other layers' outputs", awd.Dropouth));
        var dropouti = Probability(Option("--dropouti", "AWD: locked dropout on the embedded input", awd.Dropouti));
        var dropoute = Probability(Option("--dropoute", "AWD: dropout of whole words (rows) of the embedding", awd.Dropoute));
        var wdrop = Probability(Option("--wdrop", "AWD: WeightDrop (DropConnect) on each layer's hidden-to-hidden weights", awd.Wdrop));
        var alpha = Option("--alpha", "AWD: activation regularisation (AR) of the last layer's dropped output", awd.Alpha);
        var beta = Option("--beta", "AWD: temporal activation regularisation (TAR) of the last layer's raw output", awd.Beta);
        var wdecay = Option("--wdecay", "AWD: weight decay of SGD and ASGD", awd.Wdecay);
        var nonmono = Positive(Option("--nonmono", "AWD: switch to averaged SGD once the validation loss is above the best of all but the last NONMONO epochs", awd.Nonmono));
        var tied = new Option<bool>("--tied") { Description = "tie the word embedding and softmax weights (AWD ties them always)" };
        var seed = Option("--seed", "random seed", defaults.Seed);
        var logInterval = Positive(Option("--log-interval", "report interval (batches)", defaults.LogInterval));
        var save = Option("--save", "path to save the final model (a state_dict: .pt or .safetensors)", defaults.Save);
        var quickOption = new Option<bool>("--quick")
        {
            Description = $"a small run for tests: emsize and nhid {quick.Emsize}, lr {quick.Lr}, {quick.Epochs} epochs, bptt {quick.Bptt}, " +
                $"log interval {quick.LogInterval}, the first {quick.MaxTokens} tokens of each split (and only their words); options given override it",
        };
        var threads = Threads();
        var record = new Option<string?>("--record")
        {
            Description = "write every batch's loss and gradient norm, each epoch's validation loss and the test loss to this JSON file",
        };

        var root = SampleCommandLine.Create("WordLanguageModel",
            "TorchRnn's twin of PyTorch's Wikitext-2 RNN/LSTM/GRU language model (examples/word_language_model): " +
            "trains, reports test perplexity and saves the best model. 'generate' writes text with it.",
            data, model, emsize, nhid, nlayers, lr, clip, epochs, batchSize, bptt, dropout, dropouth, dropouti, dropoute, wdrop,
            alpha, beta, wdecay, nonmono, tied, seed, logInterval, save, quickOption, threads, record);
        root.SetAction((result, cancel) =>
        {
            var isQuick = result.GetValue(quickOption);
            var modelName = result.GetValue(model)!;
            // The model's defaults, changed by --quick; an option given on the command line wins over both.
            var given = modelName == AwdTrainer.ModelName ? awd : defaults;
            if (isQuick) given = TrainOptions.QuickOf(given);
            T Get<T>(Option<T> option, T value) => result.GetResult(option) is null or { Implicit: true } ? value : result.GetValue(option)!;
            var options = given with
            {
                Data = result.GetValue(data)!,
                Model = modelName,
                Emsize = Get(emsize, given.Emsize),
                Nhid = Get(nhid, given.Nhid),
                Nlayers = Get(nlayers, given.Nlayers),
                Lr = Get(lr, given.Lr),
                Clip = Get(clip, given.Clip),
                Epochs = Get(epochs, given.Epochs),
                BatchSize = Get(batchSize, given.BatchSize),
                Bptt = Get(bptt, given.Bptt),
                Dropout = Get(dropout, given.Dropout),
                Dropouth = Get(dropouth, given.Dropouth),
                Dropouti = Get(dropouti, given.Dropouti),
                Dropoute = Get(dropoute, given.Dropoute),
                Wdrop = Get(wdrop, given.Wdrop),
                Alpha = Get(alpha, given.Alpha),
                Beta = Get(beta, given.Beta),
                Wdecay = Get(wdecay, given.Wdecay),
                Nonmono = Get(nonmono, given.Nonmono),
                Tied = given.Tied || result.GetValue(tied),
                Seed = result.GetValue(seed),
                LogInterval = Get(logInterval, given.LogInterval),
                Save = result.GetValue(save)!,
                Threads = result.GetValue(threads),
                Record = result.GetValue(record),
            };
            return Task(() =>
            {
                var run = LiveView.Run(console, view => Trainer.Run(options, view, cancel));
                if (options.Record is { } path) RunRecord.Write(path, options, run);
            });
        });

        var generateDefaults = new GenerateOptions();
        var generateData = Option("--data", "location of the data corpus the model was trained on (for its dictionary)", generateDefaults.Data);
        var checkpoint = Option("--checkpoint", "model checkpoint to use (a state_dict from training here or in PyTorch)", generateDefaults.Checkpoint);
        var outf = Option("--outf", "output file for generated text", generateDefaults.Outf);
        var words = Positive(Option("--words", "number of words to generate", generateDefaults.Words));
        var generateSeed = Option("--seed", "random seed", generateDefaults.Seed);
        var temperature = Option("--temperature", "temperature - higher will increase diversity", generateDefaults.Temperature);
        Check(temperature, t => t >= 1e-3, "--temperature has to be greater or equal 1e-3.");
        var generateLogInterval = Positive(Option("--log-interval", "reporting interval (words)", generateDefaults.LogInterval));
        var generateModel = new Option<string?>("--model")
        {
            Description = "the recurrent type, read from the checkpoint when left out; needed for RNN_RELU, whose weights look like RNN_TANH's",
        };
        generateModel.AcceptOnlyFromAmong([.. RNNModel.RnnTypes]);
        var generateThreads = Threads();
        var generateQuick = new Option<bool>("--quick")
        {
            Description = $"for a model trained with --quick: the dictionary of the first {quick.MaxTokens} tokens of each split",
        };
        var generate = new Command("generate", "generate.py: write text with a trained model, one word at a time")
        {
            new HelpOption(), generateData, checkpoint, outf, words, generateSeed, temperature, generateLogInterval, generateModel, generateThreads,
            generateQuick,
        };
        generate.SetAction((result, cancel) => Task(() =>
        {
            var options = new GenerateOptions
            {
                Data = result.GetValue(generateData)!,
                Checkpoint = result.GetValue(checkpoint)!,
                Outf = result.GetValue(outf)!,
                Words = result.GetValue(words),
                Seed = result.GetValue(generateSeed),
                Temperature = result.GetValue(temperature),
                LogInterval = result.GetValue(generateLogInterval),
                Model = result.GetValue(generateModel),
                Threads = result.GetValue(generateThreads),
                MaxTokens = result.GetValue(generateQuick) ? quick.MaxTokens : 0,
            };
            LiveView.Run(console, view => TextGenerator.Run(options, view));
        }));
        root.Subcommands.Add(generate);

        var profileThreads = Threads();
        var profile = new Command("profile",
            "time the pieces of a training batch and of a generation step at the default sizes (bench.py --profile compares them with PyTorch)")
        {
            new HelpOption(), profileThreads,
        };
        profile.SetAction(result => Task(() =>
        {
            foreach (var (name, milliseconds) in Profiler.Run(result.GetValue(profileThreads)))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}\t{milliseconds:0.0000}"));
        }).Result);
        root.Subcommands.Add(profile);
        return root;
    }

    /// <summary>Runs a command's work; a failure is one line on standard error and exit code 1, not a stack trace.</summary>
    private static System.Threading.Tasks.Task<int> Task(Action work)
    {
        try
        {
            work();
            return System.Threading.Tasks.Task.FromResult(0);
        }
        // Bad option combinations (tied sizes), missing or foreign files, a checkpoint that does not fit (CheckpointMismatchException is an ArgumentException).
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return System.Threading.Tasks.Task.FromResult(1);
        }
    }

    private static Option<T> Option<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    private static Option<int> Threads() => new("--threads")
    {
        Description = "intra-op threads for LibTorch (torch.set_num_threads); 0 keeps LibTorch's default",
        DefaultValueFactory = _ => 0,
    };

    private static Option<T> Positive<T>(Option<T> option) where T : System.Numerics.INumber<T>
    {
        option.Validators.Add(r =>
        {
            // A value that does not parse already has the parser's error; only a parsed one is checked here.
            if (r.Tokens.Count == 0 || !T.TryParse(r.Tokens[^1].Value, CultureInfo.InvariantCulture, out var value)) return;
            if (value <= T.Zero) r.AddError($"{option.Name} must be positive, got {r.Tokens[^1].Value}.");
        });
        return option;
    }

    private static void Check(Option<double> option, Func<double, bool> valid, string message) => option.Validators.Add(r =>
    {
        if (r.Tokens.Count == 0 || !double.TryParse(r.Tokens[^1].Value, CultureInfo.InvariantCulture, out var value)) return;
        if (!valid(value)) r.AddError(message);
    });

    private static Option<double> Probability(Option<double> option)
    {
        Check(option, p => p is >= 0 and <= 1, $"{option.Name} must be between 0 and 1.");
        return option;
    }
}
