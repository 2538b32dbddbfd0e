# Adapted from PyTorch's examples/word_language_model/data.py (BSD 3-Clause licence, Copyright (c) 2017 Pytorch
# contributors; see LICENSE beside this file). Changes: without train.txt the training text is valid.txt, and
# truncate() keeps the first tokens of each split for --quick.
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
    def __init__(self, path):
        self.dictionary = Dictionary()
        train_path = os.path.join(path, 'train.txt')
        self.has_training_split = os.path.exists(train_path)
        self.train = self.tokenize(train_path if self.has_training_split else os.path.join(path, 'valid.txt'))
        self.valid = self.tokenize(os.path.join(path, 'valid.txt')) if self.has_training_split else self.train
        self.test = self.tokenize(os.path.join(path, 'test.txt'))

    def truncate(self, tokens):
        """Keeps the first tokens of each split; the dictionary stays whole (--quick)."""
        self.train = self.train[:tokens]
        self.valid = self.valid[:tokens]
        self.test = self.test[:tokens]

    def tokenize(self, path):
        """Tokenizes a text file."""
        assert os.path.exists(path), 'No {} in {}.'.format(os.path.basename(path), os.path.dirname(path))
        # Add words to the dictionary
        with open(path, 'r', encoding="utf8") as f:
            for line in f:
                words = line.split() + ['<eos>']
                for word in words:
                    self.dictionary.add_word(word)

        # Tokenize file content
        with open(path, 'r', encoding="utf8") as f:
            idss = []
            for line in f:
                words = line.split() + ['<eos>']
                ids = []
                for word in words:
                    ids.append(self.dictionary.word2idx[word])
                idss.append(torch.tensor(ids).type(torch.int64))
            ids = torch.cat(idss)

        return ids
