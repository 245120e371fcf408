using System;
using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// The exception an action throws, without the <see cref="TargetInvocationException"/> layers ML.NET's model loading
/// wraps it in (it creates transformers by reflection), so tests assert on the error a user reads first.
/// </summary>
public static class UnwrappedException
{
    /// <summary>Asserts that <paramref name="action"/> throws and returns the first exception that is not a reflection wrapper.</summary>
    public static Exception Of(Action action)
    {
        Exception error = Assert.Throws<Exception>(action);
        while (error is TargetInvocationException && error.InnerException != null)
        {
            error = error.InnerException;
        }
        return error;
    }
}
