using System;

namespace TorchRnn;

/// <summary>
/// Where TorchRnn reports PyTorch's <c>UserWarning</c>s. By default they go to standard error as Python prints them.
/// </summary>
public static class Warnings
{
    /// <summary>
    /// Receives each warning's text. Set it to route warnings elsewhere (a logger), or to <see langword="null"/> to
    /// silence them. The default writes <c>UserWarning: {message}</c> to <see cref="Console.Error"/>.
    /// </summary>
    /// <value>A handler; <see langword="null"/> discards warnings.</value>
    public static Action<string>? Handler { get; set; } = message => Console.Error.WriteLine("UserWarning: " + message);

    internal static void Warn(string message) => Handler?.Invoke(message);
}
