# coding: utf-8
# Adapted from PyTorch's examples/word_language_model/main.py (BSD 3-Clause licence, Copyright (c) 2017 Pytorch
# contributors; see LICENSE beside this file): the PyTorch side of TorchRnn's WordLanguageModel sample, for
# PyTorch 1.13 on the CPU. Changes: RNN models only; the data default is the sample's copy of WikiText-2 (validation
# and test splits: without train.txt it trains on valid.txt); the best model is saved as a state_dict (torch.save
# (model.state_dict())), which the C# sample loads; --quick, --threads and --record as in the C# sample; --float64
# (float32 weights converted to float64 before training) to measure how far float32 rounding moves the numbers;
# --model AWD: the AWD-LSTM of salesforce/awd-lstm-lm (awd.py beside this file, BSD 3-Clause; its main.py's training:
# the dropouts, AR/TAR, weight decay, and NT-ASGD's switch to averaged SGD with evaluation on the averaged weights;
# a fixed bptt, where awd draws each batch's length with numpy).
import argparse
import json
import time
import math
import os
import torch
import torch.nn as nn

import awd
import data
import threads
from model import RNNModel

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser(description='PyTorch Wikitext-2 RNN/LSTM/GRU Language Model')
parser.add_argument('--data', type=str, default=os.path.join(here, '..', 'data', 'wikitext-2'),
                    help='location of the data corpus (without train.txt it trains on valid.txt)')
parser.add_argument('--model', type=str, default='LSTM', choices=['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU', 'AWD'],
                    help='type of recurrent net (RNN_TANH, RNN_RELU, LSTM, GRU; AWD: awd-lstm-lm\'s AWD-LSTM, whose '
                         'defaults are in parentheses after the others\' below)')
parser.add_argument('--emsize', type=int, default=None,
                    help='size of word embeddings (200; AWD 200)')
parser.add_argument('--nhid', type=int, default=None,
                    help='number of hidden units per layer (200; AWD 400, the last layer emsize)')
parser.add_argument('--nlayers', type=int, default=None,
                    help='number of layers (2; AWD 3)')
parser.add_argument('--lr', type=float, default=None,
                    help='initial learning rate (20; AWD 30)')
parser.add_argument('--clip', type=float, default=None,
                    help='gradient clipping (0.25)')
parser.add_argument('--epochs', type=int, default=None,
                    help='upper epoch limit (40)')
parser.add_argument('--batch_size', type=int, default=None, metavar='N',
                    help='batch size (20)')
parser.add_argument('--bptt', type=int, default=None,
                    help='sequence length (35)')
parser.add_argument('--dropout', type=float, default=None,
                    help='dropout applied to layers (0 = no dropout) (0.2; AWD: locked dropout on the last layer\'s '
                         'output, 0.4)')
parser.add_argument('--dropouth', type=float, default=None,
                    help='AWD: locked dropout on the other layers\' outputs (0.2)')
parser.add_argument('--dropouti', type=float, default=None,
                    help='AWD: locked dropout on the embedded input (0.65)')
parser.add_argument('--dropoute', type=float, default=None,
                    help='AWD: dropout of whole words (rows) of the embedding (0.1)')
parser.add_argument('--wdrop', type=float, default=None,
                    help='AWD: WeightDrop (DropConnect) on each layer\'s hidden-to-hidden weights (0.5)')
parser.add_argument('--alpha', type=float, default=None,
                    help='AWD: activation regularisation (AR) of the last layer\'s dropped output (2)')
parser.add_argument('--beta', type=float, default=None,
                    help='AWD: temporal activation regularisation (TAR) of the last layer\'s raw output (1)')
parser.add_argument('--wdecay', type=float, default=None,
                    help='AWD: weight decay of SGD and ASGD (1.2e-6)')
parser.add_argument('--nonmono', type=int, default=None,
                    help='AWD: switch to averaged SGD once the validation loss is above the best of all but the '
                         'last NONMONO epochs (5)')
parser.add_argument('--tied', action='store_true',
                    help='tie the word embedding and softmax weights (AWD ties them always)')
parser.add_argument('--seed', type=int, default=1111,
                    help='random seed')
parser.add_argument('--log-interval', type=int, default=None, metavar='N',
                    help='report interval (200)')
parser.add_argument('--save', type=str, default='model.pt',
                    help='path to save the final model (a state_dict)')
parser.add_argument('--quick', action='store_true',
                    help='a small run for tests: emsize and nhid 32, lr 2, 2 epochs, bptt 20, log interval 10, the '
                         'first 10000 tokens of each split (and only their words); options given override it')
parser.add_argument('--threads', type=int, default=0,
                    help='threads for PyTorch and its OpenBLAS (threads.py); 0 keeps the defaults')
parser.add_argument('--record', type=str, default=None,
                    help='write every batch\'s loss and gradient norm, each epoch\'s validation loss and the test loss '
                         'to this JSON file')
parser.add_argument('--float64', action='store_true',
                    help='convert the (float32-initialised) model to float64 before training')
args = parser.parse_args()

# The defaults, and --quick's (the C# sample's TrainOptions and TrainOptions.Quick); options given win over both.
defaults = dict(emsize=200, nhid=200, nlayers=2, lr=20.0, clip=0.25, epochs=40, batch_size=20, bptt=35,
                dropout=0.2, log_interval=200)
quick = dict(emsize=32, nhid=32, lr=2.0, epochs=2, bptt=20, log_interval=10)
# AWD: awd-lstm-lm's defaults (its README's WikiText-2 command: --dropouth 0.2), at a width this machine trains
# (emsize 200 and nhid 400 for awd's 400 and 1150), with the plain model's bptt 35 and batch 20 (awd: 70 and 80).
awd_defaults = dict(emsize=200, nhid=400, nlayers=3, lr=30.0, dropout=0.4, dropouth=0.2, dropouti=0.65, dropoute=0.1,
                    wdrop=0.5, alpha=2.0, beta=1.0, wdecay=1.2e-6, nonmono=5)
for name, value in (dict(defaults, **awd_defaults) if args.model == 'AWD' else defaults).items():
    if getattr(args, name) is None:
        setattr(args, name, quick.get(name, value) if args.quick else value)
if args.model == 'AWD':
    args.tied = True  # as awd-lstm-lm's main.py
    if args.nonmono < 1:
        parser.error('--nonmono must be at least 1')
max_tokens = 10000 if args.quick else 0

# Set the random seed manually for reproducibility.
torch.manual_seed(args.seed)
if args.threads > 0:
    threads.set_num_threads(args.threads)

device = torch.device("cpu")
print("Using device:", device)

###############################################################################
# Load data
###############################################################################

corpus = data.Corpus(args.data, max_tokens)
if not corpus.has_training_split:
    print('No train.txt in {}: training on valid.txt'.format(args.data))

# Starting from sequential data, batchify arranges the dataset into columns.
# For instance, with the alphabet as the sequence and batch size 4, we'd get
# ┌ a g m s ┐
# │ b h n t │
# │ c i o u │
# │ d j p v │
# │ e k q w │
# └ f l r x ┘.
# These columns are treated as independent by the model, which means that the
# dependence of e. g. 'g' on 'f' can not be learned, but allows more efficient
# batch processing.

def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)

eval_batch_size = 10
train_data = batchify(corpus.train, args.batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)

###############################################################################
# Build the model
###############################################################################

ntokens = len(corpus.dictionary)
if args.model == 'AWD':
    model = awd.AWDModel(ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.dropouth, args.dropouti,
                         args.dropoute, args.wdrop, args.tied).to(device)
else:
    model = RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied).to(device)
if args.float64:
    model = model.double()
# AWD trains with torch.optim (SGD with weight decay, then ASGD), the others with the example's own SGD step.
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, weight_decay=args.wdecay) if args.model == 'AWD' else None

criterion = nn.NLLLoss()
record = dict(args=vars(args), ntokens=ntokens, batches=[], epochs=[], test_loss=None)

###############################################################################
# Training code
###############################################################################

def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""

    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


# get_batch subdivides the source data into chunks of length args.bptt.
# If source is equal to the example output of the batchify function, with
# a bptt-limit of 2, we'd get the following two Variables for i = 0:
# ┌ a g m s ┐ ┌ b h n t ┐
# └ b h n t ┘ └ c i o u ┘
# Note that despite the name of the function, the subdivison of data is not
# done along the batch dimension (i.e. dimension 1), since that was handled
# by the batchify function. The chunks are along dimension 0, corresponding
# to the seq_len dimension in the LSTM.

def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    data = source[i:i+seq_len]
    target = source[i+1:i+1+seq_len].view(-1)
    return data, target


def evaluate(data_source):
    # Turn on evaluation mode which disables dropout.
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train():
    # Turn on training mode which enables dropout.
    model.train()
    total_loss = 0.
    start_time = time.time()
    hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i)
        # Starting each batch, we detach the hidden state from how it was previously produced.
        # If we didn't, the model would try backpropagating all the way to start of the dataset.
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        if args.model == 'AWD':
            output, hidden, rnn_hs, dropped_rnn_hs = model(data, hidden, return_h=True)
            loss = criterion(output, targets)  # the raw loss, which is logged, as awd logs it
            awd.regularized_loss(loss, rnn_hs, dropped_rnn_hs, args.alpha, args.beta).backward()
        else:
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()

        # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        if optimizer is not None:
            optimizer.step()
        else:
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()
        record['batches'].append(dict(epoch=epoch, batch=batch, loss=loss.item(), grad_norm=norm.item()))

        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            elapsed = time.time() - start_time
            print('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | '
                    'loss {:5.2f} | ppl {:8.2f}'.format(
                epoch, batch, len(train_data) // args.bptt, lr,
                elapsed * 1000 / args.log_interval, cur_loss, math.exp(cur_loss)))
            total_loss = 0
            start_time = time.time()


def averaging():
    """Whether NT-ASGD has switched to averaged SGD (awd: 't0' in the optimizer's param group)."""
    return optimizer is not None and 't0' in optimizer.param_groups[0]


def swap_in_averages():
    """Puts ASGD's averages (optimizer.state[p]['ax']) in the parameters; returns the trained values."""
    trained = {}
    for prm in model.parameters():
        trained[prm] = prm.data.clone()
        prm.data = optimizer.state[prm]['ax'].clone()
    return trained


# Loop over epochs.
lr = args.lr
best_val_loss = None
val_history = []  # AWD: the validation losses of the epochs before the switch (awd's best_val_loss list)

# At any point you can hit Ctrl + C to break out of training early.
try:
    for epoch in range(1, args.epochs+1):
        epoch_start_time = time.time()
        train()
        train_seconds = time.time() - epoch_start_time
        averaged = averaging()
        trained = swap_in_averages() if averaged else None
        val_loss = evaluate(val_data)
        seconds = time.time() - epoch_start_time
        record['epochs'].append(dict(epoch=epoch, lr=lr, val_loss=val_loss, seconds=seconds, train_seconds=train_seconds))
        if args.model == 'AWD':
            record['epochs'][-1]['averaged'] = averaged
        print('-' * 89)
        print('| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | '
                'valid ppl {:8.2f}'.format(epoch, seconds, val_loss, math.exp(val_loss)))
        print('-' * 89)
        # Save the model if the validation loss is the best we've seen so far.
        if not best_val_loss or val_loss < best_val_loss:
            with open(args.save, 'wb') as f:
                torch.save(model.state_dict(), f)
            best_val_loss = val_loss
        elif args.model != 'AWD':
            # Anneal the learning rate if no improvement has been seen in the validation dataset.
            lr /= 4.0
        if averaged:
            for prm in model.parameters():
                prm.data = trained[prm].clone()
        elif args.model == 'AWD':
            # NT-ASGD: averaged SGD from here on once the loss is above the best of all but the last nonmono epochs.
            if len(val_history) > args.nonmono and val_loss > min(val_history[:-args.nonmono]):
                print('Switching to ASGD')
                optimizer = torch.optim.ASGD(model.parameters(), lr=args.lr, t0=0, lambd=0., weight_decay=args.wdecay)
            val_history.append(val_loss)
except KeyboardInterrupt:
    print('-' * 89)
    print('Exiting from training early')

# Load the best saved model.
if best_val_loss is not None:
    with open(args.save, 'rb') as f:
        model.load_state_dict(torch.load(f))

# Run on test data.
test_loss = evaluate(test_data)
print('=' * 89)
print('| End of training | test loss {:5.2f} | test ppl {:8.2f}'.format(
    test_loss, math.exp(test_loss)))
print('=' * 89)

if args.record:
    record['test_loss'] = test_loss
    with open(args.record, 'w') as f:
        json.dump(record, f, indent=2)
