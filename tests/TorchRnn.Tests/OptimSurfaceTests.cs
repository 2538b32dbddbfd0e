using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>
/// TorchRnn's <c>optim</c> offers all of TorchSharp's <c>torch.optim</c> (optimisers and <c>lr_scheduler</c>, written
/// by src/TorchRnn.Generators from TorchSharp's metadata) with TorchRnn's LBFGS in place of TorchSharp's, so
/// <c>optim.Adam(...)</c> compiles beside <c>optim.LBFGS(...)</c> (issue 26).
/// </summary>
public class OptimSurfaceTests
{
    // TorchRnn's own replacement: PyTorch's LBFGS algorithm and defaults, and a closure may return its loss.
    private static readonly HashSet<string> Replaced = ["optim.LBFGS"];

    // TorchSharp's types that C# cannot re-export (the optimiser base and its interfaces, the scheduler base, the
    // schedulers' classes in lr_scheduler.impl); a port names them from TorchSharp.
    private static readonly HashSet<string> TypesUsedFromTorchSharp = ["Optimizer", "ILearningRateController", "IMomentum", "IBetas", "LRScheduler", "impl"];

    [Test]
    public void EveryTorchSharpOptimMethod_HasAForwarderWithTheSameSignature()
    {
        var missing = Support.Surface.Missing(typeof(torch.optim), typeof(optim), "optim", Replaced,
            type => TypesUsedFromTorchSharp.Contains(type.Name));

        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void WhatATrainingLoopUses_IsInOneOptim()
    {
        // PyTorch's optimisers and schedulers as PyTorch's RNN examples and tutorials use them.
        string[] members =
        [
            "SGD", "Adam", "AdamW", "RMSProp", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "LBFGS",
            "lr_scheduler.StepLR", "lr_scheduler.MultiStepLR", "lr_scheduler.ExponentialLR", "lr_scheduler.LambdaLR",
            "lr_scheduler.CosineAnnealingLR", "lr_scheduler.ReduceLROnPlateau", "lr_scheduler.OneCycleLR",
            "lr_scheduler.CyclicLR", "lr_scheduler.LinearLR", "lr_scheduler.SequentialLR",
        ];
        var absent = members.Where(m => !Support.Surface.Has(typeof(optim), m.Split('.'))).ToArray();

        Assert.That(absent, Is.Empty);
    }

    [Test]
    public void Adam_ThroughOptim_IsTorchSharpsAdamWithPyTorchsDefaults()
    {
        using var linear = nn.Linear(3, 1);

        using var adam = optim.Adam(linear.parameters());

        Assert.That(adam, Is.InstanceOf<TorchSharp.Modules.Adam>());
        Assert.That(adam.ParamGroups.Single().LearningRate, Is.EqualTo(1e-3), "PyTorch's lr=0.001");
    }

    [Test]
    public void StepLR_OnTorchRnnsLBFGS_ScalesItsLearningRate()
    {
        using var linear = nn.Linear(3, 1, dtype: float64);
        using var lbfgs = optim.LBFGS(linear.parameters(), lr: 0.8);
        var scheduler = optim.lr_scheduler.StepLR(lbfgs, step_size: 1, gamma: 0.5);

        scheduler.step();

        Assert.That(lbfgs.ParamGroups.Single().LearningRate, Is.EqualTo(0.4));
    }
}
