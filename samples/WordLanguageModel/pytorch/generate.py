###############################################################################
# Language Modeling on Wikitext-2
#
# This file generates new sentences sampled from the language model.
#
# Adapted from PyTorch's examples/word_language_model/generate.py (BSD 3-Clause licence, Copyright (c) 2017
# Pytorch contributors; see LICENSE beside this file): the PyTorch side of TorchRnn's WordLanguageModel sample.
# Changes: the checkpoint is a state_dict (from main.py here or from the C# sample), its architecture read from its
# shapes (--model for RNN_RELU); the seed is set after the model is built, so the words depend on the weights and
# the seed only; --threads; --quick for a model trained with main.py --quick; the last line gives the words per
# second.
###############################################################################
import argparse
import os
import time
import torch

import data
import threads
from model import RNNModel, model_shape

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser(description='PyTorch Wikitext-2 Language Model')
# Model parameters.
parser.add_argument('--data', type=str, default=os.path.join(here, '..', 'data', 'wikitext-2'),
                    help='location of the data corpus')
parser.add_argument('--checkpoint', type=str, default='./model.pt',
                    help='model checkpoint to use (a state_dict)')
parser.add_argument('--outf', type=str, default='generated.txt',
                    help='output file for generated text')
parser.add_argument('--words', type=int, default='1000',
                    help='number of words to generate')
parser.add_argument('--seed', type=int, default=1111,
                    help='random seed')
parser.add_argument('--temperature', type=float, default=1.0,
                    help='temperature - higher will increase diversity')
parser.add_argument('--log-interval', type=int, default=100,
                    help='reporting interval')
parser.add_argument('--model', type=str, default=None, choices=['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'],
                    help='the recurrent type (read from the checkpoint; needed for RNN_RELU)')
parser.add_argument('--threads', type=int, default=0,
                    help='threads for PyTorch and its OpenBLAS (threads.py); 0 keeps the defaults')
parser.add_argument('--quick', action='store_true',
                    help='for a model trained with --quick: the dictionary of the first 10000 tokens of each split')
args = parser.parse_args()

if args.threads > 0:
    threads.set_num_threads(args.threads)
device = torch.device("cpu")

if args.temperature < 1e-3:
    parser.error("--temperature has to be greater or equal 1e-3.")

with open(args.checkpoint, 'rb') as f:
    state_dict = torch.load(f, map_location=device)
rnn_type, ntoken, emsize, nhid, nlayers = model_shape(state_dict)
if args.model is not None:
    if args.model != rnn_type and not (args.model == 'RNN_RELU' and rnn_type == 'RNN_TANH'):
        parser.error('--model {} does not match the checkpoint, which holds a {} model.'.format(args.model, rnn_type))
    rnn_type = args.model

corpus = data.Corpus(args.data, 10000 if args.quick else 0)
ntokens = len(corpus.dictionary)
if ntokens != ntoken:
    parser.error("The checkpoint's vocabulary has {} words and the corpus in {} {}: pass the --data the model was "
                 "trained on (and --quick for a --quick run's model).".format(ntoken, args.data, ntokens))
model = RNNModel(rnn_type, ntokens, emsize, nhid, nlayers).to(device)
model.load_state_dict(state_dict)
model.eval()

# Set the random seed manually for reproducibility (after the model is built, whose construction draws).
torch.manual_seed(args.seed)

hidden = model.init_hidden(1)
input = torch.randint(ntokens, (1, 1), dtype=torch.long).to(device)

with open(args.outf, 'w') as outf:
    start = time.time()
    with torch.no_grad():  # no tracking history
        for i in range(args.words):
            output, hidden = model(input, hidden)
            word_weights = output.squeeze().div(args.temperature).exp().cpu()
            word_idx = torch.multinomial(word_weights, 1)[0]
            input.fill_(word_idx)

            word = corpus.dictionary.idx2word[word_idx]

            outf.write(word + ('\n' if i % 20 == 19 else ' '))

            if i % args.log_interval == 0:
                print('| Generated {}/{} words'.format(i, args.words))
    seconds = time.time() - start
print('| Generated {} words in {:.2f} s ({:.1f} words/s) | {}'.format(
    args.words, seconds, args.words / seconds, args.outf))
