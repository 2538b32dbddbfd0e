# Adapted from PyTorch's examples/word_language_model/data.py (BSD 3-Clause licence, Copyright (c) 2017 Pytorch
# contributors; see LICENSE beside this file). Changes: without train.txt the training text is valid.txt, and
# max_tokens reads only the first tokens of each file (and so only their words) for --quick.
import os
from io import open
import torch


class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    def __init__(self, path, max_tokens=0):
        self.dictionary = Dictionary()
        self.max_tokens = max_tokens
        train_path = os.path.join(path, 'train.txt')
        self.has_training_split = os.path.exists(train_path)
        self.train = self.tokenize(train_path if self.has_training_split else os.path.join(path, 'valid.txt'))
        self.valid = self.tokenize(os.path.join(path, 'valid.txt')) if self.has_training_split else self.train
        self.test = self.tokenize(os.path.join(path, 'test.txt'))

    def words(self, f):
        """The file's words, each line followed by <eos>; only the first max_tokens when it is positive."""
        count = 0
        for line in f:
            for word in line.split() + ['<eos>']:
                if 0 < self.max_tokens <= count:
                    return
                count += 1
                yield word

    def tokenize(self, path):
        """Tokenizes a text file."""
        assert os.path.exists(path), 'No {} in {}.'.format(os.path.basename(path), os.path.dirname(path))
        # Add words to the dictionary
        with open(path, 'r', encoding="utf8") as f:
            for word in self.words(f):
                self.dictionary.add_word(word)

        # Tokenize file content
        with open(path, 'r', encoding="utf8") as f:
            ids = [self.dictionary.word2idx[word] for word in self.words(f)]

        return torch.tensor(ids, dtype=torch.int64)
