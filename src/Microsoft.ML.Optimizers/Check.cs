using System;
using System.Globalization;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Validation shared by options, parameter groups and schedules. Messages name the option and the
/// rejected value so that a misconfigured AutoML search or trainer says exactly what was wrong.
/// </summary>
internal static class Check
{
    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static double Finite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number (was {Show(value)}).");
        }
        return value;
    }

    public static double NonNegative(double value, string name)
    {
        Finite(value, name);
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0 (was {Show(value)}).");
        }
        return value;
    }

    public static double Positive(double value, string name)
    {
        Finite(value, name);
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be > 0 (was {Show(value)}).");
        }
        return value;
    }

    /// <summary>Exponential-average coefficients: 0 &lt;= value &lt; 1 (1 would freeze the average forever).</summary>
    public static double Beta(double value, string name)
    {
        Finite(value, name);
        if (value < 0 || value >= 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0 and < 1 (was {Show(value)}).");
        }
        return value;
    }

    public static double Fraction(double value, string name)
    {
        Finite(value, name);
        if (value < 0 || value > 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between 0 and 1 (was {Show(value)}).");
        }
        return value;
    }

    public static double AtLeast(double value, double min, string name)
    {
        Finite(value, name);
        if (value < min)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= {Show(min)} (was {Show(value)}).");
        }
        return value;
    }

    public static long NonNegative(long value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0 (was {value}).");
        }
        return value;
    }

    public static long Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be > 0 (was {value}).");
        }
        return value;
    }
}
