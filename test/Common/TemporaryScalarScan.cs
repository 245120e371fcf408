using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Finds, by reading IL, the places in an assembly that hand libtorch a TorchSharp <see cref="Scalar"/> nothing keeps
/// alive: implicit number-to-Scalar conversions (<c>t.mul_(2.0)</c>), TorchSharp methods that make such a temporary
/// themselves (<c>a + b</c>, <c>add_(t)</c>), and TorchSharp modules whose forward does (<c>nn.BatchNorm2d</c>). The
/// garbage collector can free such a scalar while libtorch reads it, which shows up as rare "Expected false to be true"
/// errors or segfaults in long runs, far too rarely to catch by running the code.
/// </summary>
internal static class TemporaryScalarScan
{
    private static readonly Dictionary<short, OpCode> OneByte = Codes(1);
    private static readonly Dictionary<short, OpCode> TwoByte = Codes(2);
    private static readonly Lazy<HashSet<(Module, int)>> Offenders = new(FindTorchSharpOffenders);

    /// <summary>Every call in <paramref name="assembly"/> that makes or uses a temporary Scalar, as "Caller → callee".</summary>
    public static IReadOnlyList<string> Find(Assembly assembly)
    {
        var found = new List<string>();
        foreach (MethodBase method in MethodsOf(assembly))
        {
            foreach ((MethodBase callee, bool constructs) in Callees(method))
            {
                if (IsImplicitConversion(callee) || IsOffender(callee) || CreatesOffendingModule(callee, constructs))
                {
                    found.Add($"{method.DeclaringType?.FullName}.{method.Name} → {callee.DeclaringType?.Name}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})");
                }
            }
        }
        return found.Distinct().ToList();
    }

    /// <summary>
    /// Fails listing every temporary Scalar in <paramref name="assembly"/>. TorchScript's <c>CompilationUnit.invoke</c> is
    /// allowed: it converts number arguments, and the fused optimizers pass it only held Scalars, tensors and booleans.
    /// </summary>
    public static void AssertNone(Assembly assembly)
    {
        var found = Find(assembly).Where(f => !f.EndsWith("→ CompilationUnit.invoke(String, Object[])", StringComparison.Ordinal)).ToList();
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(0, found.Count,
            $"{assembly.GetName().Name} passes temporary Scalars to libtorch:\n" + string.Join("\n", found));
    }

    private static bool IsImplicitConversion(MethodBase callee) => callee.DeclaringType == typeof(Scalar) && callee.Name == "op_Implicit";

    // Module types whose forward makes a temporary (BatchNorm's batch counter), and the factories and constructors that make them.
    private static bool CreatesOffendingModule(MethodBase callee, bool constructs)
    {
        // A base-constructor call (a subclass such as GcSafeBatchNorm) makes nothing; newobj and factories do.
        Type? made = callee is ConstructorInfo ? (constructs ? callee.DeclaringType : null) : (callee as MethodInfo)?.ReturnType;
        return made is not null && made.Assembly == typeof(Scalar).Assembly
            && made.GetMethods().Any(m => m.Name == "forward" && IsOffender(m));
    }

    private static bool IsOffender(MethodBase method) => Offenders.Value.Contains((method.Module, method.MetadataToken));

    // TorchSharp methods that convert a number to a Scalar (or call ToScalar) and pass it on, directly or through other
    // TorchSharp methods that do (Tensor + Tensor calls add(t), which makes the alpha 1).
    private static HashSet<(Module, int)> FindTorchSharpOffenders()
    {
        var callers = new Dictionary<(Module, int), List<(Module, int)>>();
        var offenders = new HashSet<(Module, int)>();
        var pending = new Queue<(Module, int)>();
        foreach (MethodBase method in MethodsOf(typeof(Scalar).Assembly))
        {
            if (method.DeclaringType == typeof(Scalar) || method.DeclaringType?.Name == "ScalarExtensionMethods")
            {
                continue;
            }
            var key = (method.Module, method.MetadataToken);
            foreach ((MethodBase callee, _) in Callees(method))
            {
                if (IsImplicitConversion(callee) || (callee.Name == "ToScalar" && callee.DeclaringType != typeof(Scalar)))
                {
                    if (offenders.Add(key))
                    {
                        pending.Enqueue(key);
                    }
                }
                else if (callee.Module == method.Module)
                {
                    var calleeKey = (callee.Module, callee.MetadataToken);
                    if (!callers.TryGetValue(calleeKey, out var list))
                    {
                        callers[calleeKey] = list = new List<(Module, int)>();
                    }
                    list.Add(key);
                }
            }
        }
        while (pending.Count > 0)
        {
            foreach (var caller in callers.GetValueOrDefault(pending.Dequeue()) ?? new List<(Module, int)>())
            {
                if (offenders.Add(caller))
                {
                    pending.Enqueue(caller);
                }
            }
        }
        return offenders;
    }

    private static IEnumerable<MethodBase> MethodsOf(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            types = ex.Types;
        }
        return types.Where(t => t is not null).SelectMany(t => t!.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)));
    }

    private static IEnumerable<(MethodBase Callee, bool Constructs)> Callees(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception ex) when (ex is BadImageFormatException or InvalidOperationException)
        {
            yield break;
        }
        if (il is null)
        {
            yield break;
        }
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            OpCode op = il[i] == 0xFE ? TwoByte[(short)(0xFE00 | il[i + 1])] : OneByte[il[i]];
            i += op.Size;
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj)
            {
                MethodBase? callee = null;
                try
                {
                    callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArguments, methodArguments);
                }
                catch (Exception ex) when (ex is ArgumentException or TypeLoadException or MissingMemberException or BadImageFormatException)
                {
                }
                if (callee is not null)
                {
                    yield return (callee, op == OpCodes.Newobj);
                }
            }
            i += OperandSize(op, il, i);
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    private static Dictionary<short, OpCode> Codes(int size) => typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).Where(o => o.Size == size).ToDictionary(o => o.Value);
}
