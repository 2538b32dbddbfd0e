# AWD-LSTM's regularisers and model, from salesforce/awd-lstm-lm (commit 1d466ec5875675ca6b6f0caacbb741240a29da9e,
# https://github.com/salesforce/awd-lstm-lm): weight_drop.py (WeightDrop), locked_dropout.py (LockedDropout),
# embed_regularize.py (embedded_dropout), model.py (RNNModel, here AWDModel) and main.py's AR/TAR terms
# (activation_regularization, temporal_activation_regularization). The PyTorch side of the WordLanguageModel sample's
# --model AWD (main.py), and the twin that tests/fixtures/awd_lstm.py loads for TorchRnn's fixtures: the one copy.
#
# awd-lstm-lm's licence, which this derived code keeps:
#
#   BSD 3-Clause License
#
#   Copyright (c) 2017,
#   All rights reserved.
#
#   Redistribution and use in source and binary forms, with or without
#   modification, are permitted provided that the following conditions are met:
#
#   * Redistributions of source code must retain the above copyright notice, this
#     list of conditions and the following disclaimer.
#
#   * Redistributions in binary form must reproduce the above copyright notice,
#     this list of conditions and the following disclaimer in the documentation
#     and/or other materials provided with the distribution.
#
#   * Neither the name of the copyright holder nor the names of its
#     contributors may be used to endorse or promote products derived from
#     this software without specific prior written permission.
#
#   THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
#   AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
#   IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
#   DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
#   FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
#   DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
#   SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
#   CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
#   OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
#   OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
#
# Changes that PyTorch 1.13 needs (awd-lstm-lm's README asks for PyTorch 0.4; its embed_regularize.py was last written
# for 0.4, its WeightDrop for 0.3):
#   1. WeightDrop._setweights in eval: F.dropout(raw_w, training=False) hands back the Parameter itself, and
#      setattr(module, 'weight_hh_l0', <Parameter>) registers it as a parameter of the LSTM again; the next training
#      forward then assigns a plain tensor to that parameter and raises "TypeError: cannot assign 'torch.FloatTensor'
#      as parameter 'weight_hh_l0' (torch.nn.Parameter or None expected)" (awd-lstm-lm#114, fastai#2591; the same
#      happens with dropout 0 in training). Here the weight set is raw_w.clone() when F.dropout returned raw_w: the
#      same values, gradients still reach weight_hh_l0_raw, and the LSTM keeps no parameter of that name.
#   2. embedded_dropout: when the embedding has no padding_idx, awd passes padding_idx=-1, which the backend function
#      it was written for (embed._backend.Embedding, PyTorch 0.1.12 to 0.3) read as "no padding". The 0.4 port moved
#      to F.embedding, which reads -1 as the last row (weight.size(0) - 1): since then the last word of the vocabulary
#      gets no gradient through the embedding lookup. Here the embedding's own padding_idx (None: no padding) is
#      passed, as in awd's code before the port.
# Left as awd wrote them, because 1.13 runs them unchanged (silently): the Variable wrappers and .data idioms
# (torch.autograd.Variable(t) returns t; x.data.new(...), Parameter(w.data)); WeightDrop's flatten_parameters
# monkey patch (widget_demagnetizer_y2k_edition; on the CPU RNNBase.forward never calls flatten_parameters, and
# _apply / .to() with a weight missing from _parameters, pytorch#32346, was fixed in PyTorch by #32989);
# its print of every weight it drops; the variational WeightDrop option, which drops rows of the weight in eval too
# (F.dropout(..., training=True)), as awd's code does. On the CPU WeightDrop gives no warning in 1.13 (the
# "weights are not part of single contiguous chunk" warning of pytorch#40193 is cuDNN's).
# Other changes, for the sample and for exactness, not for 1.13:
#   3. embedded_dropout: `if scale is not None` for awd's `if scale:`, so that a scale of more than one element (whose
#      truth value raises) can be passed; awd itself never passes a scale.
#   4. AWDModel is model.py's RNNModel for rnn_type 'LSTM' only (no QRNN or GRU), without the unused nn.Dropout
#      modules and print(self.rnns); its forward ends with the decoder and log_softmax, as the sample's RNNModel does
#      (awd applies the decoder inside SplitCrossEntropyLoss, which without splits is the full softmax's cross
#      entropy: the same loss); init_hidden uses new_zeros.
#   5. AR and TAR are functions (main.py computes them inline in train()).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable
from torch.nn import Parameter

# ---- weight_drop.py ----------------------------------------------------------------------------------------------


class WeightDrop(torch.nn.Module):
    def __init__(self, module, weights, dropout=0, variational=False):
        super(WeightDrop, self).__init__()
        self.module = module
        self.weights = weights
        self.dropout = dropout
        self.variational = variational
        self._setup()

    def widget_demagnetizer_y2k_edition(*args, **kwargs):
        # We need to replace flatten_parameters with a nothing function
        # It must be a function rather than a lambda as otherwise pickling explodes
        # We can't write boring code though, so ... WIDGET DEMAGNETIZER Y2K EDITION!
        # (╯°□°）╯︵ ┻━┻
        return

    def _setup(self):
        # Terrible temporary solution to an issue regarding compacting weights re: CUDNN RNN
        if issubclass(type(self.module), torch.nn.RNNBase):
            self.module.flatten_parameters = self.widget_demagnetizer_y2k_edition

        for name_w in self.weights:
            print('Applying weight drop of {} to {}'.format(self.dropout, name_w))
            w = getattr(self.module, name_w)
            del self.module._parameters[name_w]
            self.module.register_parameter(name_w + '_raw', Parameter(w.data))

    def _setweights(self):
        for name_w in self.weights:
            raw_w = getattr(self.module, name_w + '_raw')
            w = None
            if self.variational:
                mask = torch.autograd.Variable(torch.ones(raw_w.size(0), 1))
                if raw_w.is_cuda: mask = mask.cuda()
                mask = torch.nn.functional.dropout(mask, p=self.dropout, training=True)
                w = mask.expand_as(raw_w) * raw_w
            else:
                w = torch.nn.functional.dropout(raw_w, p=self.dropout, training=self.training)
            if w is raw_w:  # PyTorch 1.13 (change 1): never hand the Parameter itself to setattr
                w = raw_w.clone()
            setattr(self.module, name_w, w)

    def forward(self, *args):
        self._setweights()
        return self.module.forward(*args)


# ---- locked_dropout.py -------------------------------------------------------------------------------------------


class LockedDropout(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, dropout=0.5):
        if not self.training or not dropout:
            return x
        m = x.data.new(1, x.size(1), x.size(2)).bernoulli_(1 - dropout)
        mask = Variable(m, requires_grad=False) / (1 - dropout)
        mask = mask.expand_as(x)
        return mask * x


# ---- embed_regularize.py -----------------------------------------------------------------------------------------


def embedded_dropout(embed, words, dropout=0.1, scale=None):
    if dropout:
        mask = embed.weight.data.new().resize_((embed.weight.size(0), 1)).bernoulli_(1 - dropout).expand_as(embed.weight) / (1 - dropout)
        masked_embed_weight = mask * embed.weight
    else:
        masked_embed_weight = embed.weight
    if scale is not None:  # change 3 (awd: `if scale:`)
        masked_embed_weight = scale.expand_as(masked_embed_weight) * masked_embed_weight

    padding_idx = embed.padding_idx  # change 2 (awd: None became -1, which F.embedding reads as the last row)

    X = torch.nn.functional.embedding(words, masked_embed_weight,
        padding_idx, embed.max_norm, embed.norm_type,
        embed.scale_grad_by_freq, embed.sparse
    )
    return X


# ---- main.py's AR and TAR ----------------------------------------------------------------------------------------


def activation_regularization(dropped_rnn_hs, alpha):
    """AR: alpha times the mean square of the last layer's dropped output (main.py: dropped_rnn_hs[-1:])."""
    return sum(alpha * dropped_rnn_h.pow(2).mean() for dropped_rnn_h in dropped_rnn_hs[-1:])


def temporal_activation_regularization(rnn_hs, beta):
    """TAR (slowness): beta times the mean square of the last layer's raw output's steps (main.py: rnn_hs[-1:])."""
    return sum(beta * (rnn_h[1:] - rnn_h[:-1]).pow(2).mean() for rnn_h in rnn_hs[-1:])


def regularized_loss(raw_loss, rnn_hs, dropped_rnn_hs, alpha, beta):
    """main.py's loss: raw_loss, + AR if alpha, + TAR if beta, added in that order."""
    loss = raw_loss
    # Activiation Regularization
    if alpha: loss = loss + activation_regularization(dropped_rnn_hs, alpha)
    # Temporal Activation Regularization (slowness)
    if beta: loss = loss + temporal_activation_regularization(rnn_hs, beta)
    return loss


# ---- model.py ----------------------------------------------------------------------------------------------------


class AWDModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder (model.py's RNNModel for 'LSTM')."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5, dropouth=0.5, dropouti=0.5, dropoute=0.1, wdrop=0, tie_weights=False):
        super(AWDModel, self).__init__()
        self.lockdrop = LockedDropout()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnns = [torch.nn.LSTM(ninp if l == 0 else nhid, nhid if l != nlayers - 1 else (ninp if tie_weights else nhid), 1, dropout=0) for l in range(nlayers)]
        if wdrop:
            self.rnns = [WeightDrop(rnn, ['weight_hh_l0'], dropout=wdrop) for rnn in self.rnns]
        self.rnns = torch.nn.ModuleList(self.rnns)
        self.decoder = nn.Linear(nhid, ntoken)

        # Optionally tie weights as in:
        # "Using the Output Embedding to Improve Language Models" (Press & Wolf 2016)
        # https://arxiv.org/abs/1608.05859
        # and
        # "Tying Word Vectors and Word Classifiers: A Loss Framework for Language Modeling" (Inan et al. 2016)
        # https://arxiv.org/abs/1611.01462
        if tie_weights:
            #if nhid != ninp:
            #    raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight

        self.init_weights()

        self.ntoken = ntoken
        self.ninp = ninp
        self.nhid = nhid
        self.nlayers = nlayers
        self.dropout = dropout
        self.dropouti = dropouti
        self.dropouth = dropouth
        self.dropoute = dropoute
        self.tie_weights = tie_weights

    def init_weights(self):
        initrange = 0.1
        self.encoder.weight.data.uniform_(-initrange, initrange)
        self.decoder.bias.data.fill_(0)
        self.decoder.weight.data.uniform_(-initrange, initrange)

    def forward(self, input, hidden, return_h=False):
        emb = embedded_dropout(self.encoder, input, dropout=self.dropoute if self.training else 0)

        emb = self.lockdrop(emb, self.dropouti)

        raw_output = emb
        new_hidden = []
        raw_outputs = []
        outputs = []
        for l, rnn in enumerate(self.rnns):
            current_input = raw_output
            raw_output, new_h = rnn(raw_output, hidden[l])
            new_hidden.append(new_h)
            raw_outputs.append(raw_output)
            if l != self.nlayers - 1:
                raw_output = self.lockdrop(raw_output, self.dropouth)
                outputs.append(raw_output)
        hidden = new_hidden

        output = self.lockdrop(raw_output, self.dropout)
        outputs.append(output)

        result = output.view(output.size(0)*output.size(1), output.size(2))
        result = F.log_softmax(self.decoder(result), dim=1)  # change 4: the decoder, as the sample's RNNModel
        if return_h:
            return result, hidden, raw_outputs, outputs
        return result, hidden

    def layer_sizes(self):
        """The hidden size of each layer: nhid, but ninp for the last one when the weights are tied."""
        return [self.nhid if l != self.nlayers - 1 else (self.ninp if self.tie_weights else self.nhid)
                for l in range(self.nlayers)]

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return [(weight.new_zeros(1, bsz, size), weight.new_zeros(1, bsz, size)) for size in self.layer_sizes()]
