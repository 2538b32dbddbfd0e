// data.py of PyTorch's word_language_model: a dictionary of words in order of first appearance, and each split
// read as one long sequence of word ids, every line ending in <eos>.
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>data.py's <c>Dictionary</c>: word ids in order of first appearance.</summary>
public sealed class WordDictionary
{
    private readonly Dictionary<string, long> _ids = [];
    private readonly List<string> _words = [];

    /// <summary>Python's <c>idx2word</c>: the word of each id.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>Python's <c>len(dictionary)</c>.</summary>
    public int Count => _words.Count;

    /// <summary>Python's <c>add_word</c>: the word's id, a new one if the word is new.</summary>
    /// <param name="word">A token.</param>
    /// <returns>Its id.</returns>
    public long AddWord(string word)
    {
        if (!_ids.TryGetValue(word, out var id))
        {
            id = _words.Count;
            _words.Add(word);
            _ids.Add(word, id);
        }
        return id;
    }

    /// <summary>Python's <c>word2idx[word]</c>.</summary>
    /// <param name="word">A word of the dictionary.</param>
    /// <returns>Its id.</returns>
    /// <exception cref="KeyNotFoundException">The word is not in the dictionary.</exception>
    public long this[string word] => _ids[word];
}

/// <summary>
/// data.py's <c>Corpus</c>: <c>train.txt</c>, <c>valid.txt</c> and <c>test.txt</c> of a folder, tokenised in that
/// order into one dictionary. Without <c>train.txt</c> (the copy of WikiText-2 in this sample has only the
/// validation and test splits) the training text is <c>valid.txt</c>.
/// </summary>
public sealed class Corpus
{
    private readonly long _maxTokens;

    /// <summary>Reads the splits of <paramref name="path"/>.</summary>
    /// <param name="path">A folder with <c>valid.txt</c> and <c>test.txt</c>, and <c>train.txt</c> when there is one.</param>
    /// <param name="maxTokens">
    /// When positive, only the first <paramref name="maxTokens"/> tokens of each file are read, and the dictionary
    /// has only their words (<c>--quick</c>: a smaller vocabulary makes a much smaller decoder).
    /// </param>
    /// <exception cref="FileNotFoundException">A split is missing.</exception>
    public Corpus(string path, long maxTokens = 0)
    {
        _maxTokens = maxTokens;
        var trainPath = Path.Combine(path, "train.txt");
        HasTrainingSplit = File.Exists(trainPath);
        Train = Tokenize(HasTrainingSplit ? trainPath : Path.Combine(path, "valid.txt"));
        Valid = HasTrainingSplit ? Tokenize(Path.Combine(path, "valid.txt")) : Train;
        Test = Tokenize(Path.Combine(path, "test.txt"));
    }

    /// <summary>The words of all the splits.</summary>
    public WordDictionary Dictionary { get; } = new();

    /// <summary>Whether the folder has <c>train.txt</c>; if not, <see cref="Train"/> is the validation text.</summary>
    public bool HasTrainingSplit { get; }

    /// <summary>The training text as word ids, (number of tokens,) int64.</summary>
    public Tensor Train { get; }

    /// <summary>The validation text as word ids.</summary>
    public Tensor Valid { get; }

    /// <summary>The test text as word ids.</summary>
    public Tensor Test { get; }

    /// <summary>data.py's <c>tokenize</c>: the ids of the file's words, every line split on whitespace, then <c>&lt;eos&gt;</c>.</summary>
    private Tensor Tokenize(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No {Path.GetFileName(path)} in {Path.GetDirectoryName(path)}.", path);
        var ids = new List<long>();
        foreach (var word in Words(path))
        {
            if (_maxTokens > 0 && ids.Count == _maxTokens) break;
            ids.Add(Dictionary.AddWord(word));
        }
        return torch.tensor(ids.ToArray(), torch.int64);
    }

    private static IEnumerable<string> Words(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            foreach (var word in SplitLikePython(line)) yield return word;
            yield return "<eos>";
        }
    }

    /// <summary>Python's <c>str.split()</c>: runs of whitespace separate words; none are empty.</summary>
    private static IEnumerable<string> SplitLikePython(string line)
    {
        var start = -1;
        for (var i = 0; i <= line.Length; i++)
        {
            var space = i == line.Length || IsPythonSpace(line[i]);
            if (!space && start < 0) start = i;
            else if (space && start >= 0)
            {
                yield return line[start..i];
                start = -1;
            }
        }
    }

    // Python's str.isspace is .NET's char.IsWhiteSpace plus the four separators U+001C to U+001F.
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';
}
