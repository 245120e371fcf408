using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Benchmarks;

/// <summary>
/// Milliseconds per optimizer step (median) for our optimizers (fused and portable paths), TorchSharp's built-in
/// optimizers, and a memory-traffic floor, on BERT-base- and ResNet-50-shaped float32 parameter sets.
/// Usage: dotnet run -c Release [-- --iterations N] [--warmup N] [--models bert,resnet] [--optimizers adamw,sgd]
/// </summary>
internal static class Program
{
    private static int s_iterations = 15;
    private static int s_warmup = 3;

    private static int Main(string[] args)
    {
        string[] models = { "bert", "resnet" };
        string[] optimizers = { "adamw", "sgd" };
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--iterations": s_iterations = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": s_warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--models": models = args[++i].Split(','); break;
                case "--optimizers": optimizers = args[++i].Split(','); break;
                default:
                    Console.Error.WriteLine($"Unknown argument {args[i]}. Options: --iterations N --warmup N --models bert,resnet --optimizers adamw,sgd");
                    return 2;
            }
        }

        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {CpuName()}; TorchSharp {typeof(torch).Assembly.GetName().Version}, "
            + $"{torch.get_num_threads()} intra-op threads; median of {s_iterations} steps after {s_warmup} warm-up steps; float32.");
        var rows = new List<string[]>();
        foreach (string model in models)
        {
            List<long[]> shapes = model == "bert" ? ModelShapes.BertBase() : ModelShapes.ResNet50();
            foreach (string optimizer in optimizers)
            {
                rows.Add(Measure(model == "bert" ? "BERT-base" : "ResNet-50", shapes, optimizer));
            }
        }

        string[] header = { "model", "optimizer", "params", "tensors", "ours fused", "ours portable", "TorchSharp built-in", "floor", "fused/floor", "portable/floor", "built-in/fused" };
        Console.WriteLine();
        Console.WriteLine("| " + string.Join(" | ", header) + " |");
        Console.WriteLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (string[] row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
        }
        Console.WriteLine();
        Console.WriteLine("ms/step, median. Floor: in-place ops over flat buffers moving the same number of float32 streams per parameter "
            + "(AdamW 7: p += g, m *= c, v *= c; SGD-momentum 5: p += g, b *= c).");
        return 0;
    }

    private static string[] Measure(string modelName, List<long[]> shapes, string optimizer)
    {
        long count = ModelShapes.Count(shapes);
        bool adamW = optimizer == "adamw";
        Console.WriteLine($"{modelName} {(adamW ? "AdamW" : "SGD-momentum")}: {count / 1e6:F1}M parameters in {shapes.Count} tensors");
        Parameter[] parameters = shapes.Select(s => new Parameter(randn(s).mul_(0.02f))).ToArray();
        foreach (Parameter p in parameters)
        {
            p.grad = randn(p.shape).mul_(1e-3f);
        }

        double Ours(bool fused)
        {
            OptimizerOptions options = adamW ? new AdamWOptions() : new SgdOptions { LearningRate = 0.01, Momentum = 0.9, WeightDecay = 1e-4 };
            options.UseFusedKernels = fused;
            using Optimizer ours = options.Create(parameters);
            return Time(ours.Step);
        }
        double fusedMs = Ours(fused: true);
        Console.WriteLine($"  ours fused     {fusedMs,9:F2} ms");
        double portableMs = Ours(fused: false);
        Console.WriteLine($"  ours portable  {portableMs,9:F2} ms");

        double builtInMs;
        {
            using torch.optim.Optimizer builtIn = adamW
                ? torch.optim.AdamW(parameters, lr: 1e-3, weight_decay: 0.01)
                : torch.optim.SGD(parameters, 0.01, momentum: 0.9, weight_decay: 1e-4);
            builtInMs = Time(() => builtIn.step());
        }
        Console.WriteLine($"  built-in       {builtInMs,9:F2} ms");
        foreach (Parameter p in parameters)
        {
            p.Dispose();
        }
        GC.Collect();

        double floorMs;
        {
            using Tensor p = randn(count);
            using Tensor g = randn(count);
            using Tensor m = zeros(count);
            using Tensor v = adamW ? zeros(count) : empty(0);
            using Scalar c = 0.5.ToScalar();
            floorMs = Time(() =>
            {
                p.add_(g);
                m.mul_(c);
                if (adamW)
                {
                    v.mul_(c);
                }
            });
        }
        Console.WriteLine($"  floor          {floorMs,9:F2} ms");
        return new[]
        {
            modelName, adamW ? "AdamW" : "SGD-momentum", $"{count / 1e6:F1}M", shapes.Count.ToString(CultureInfo.InvariantCulture),
            F(fusedMs), F(portableMs), F(builtInMs), F(floorMs),
            $"{fusedMs / floorMs:F2}x", $"{portableMs / floorMs:F2}x", $"{builtInMs / fusedMs:F1}x",
        };
    }

    private static string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);

    private static double Time(Action step)
    {
        for (int i = 0; i < s_warmup; i++)
        {
            using DisposeScope scope = NewDisposeScope();
            step();
        }
        var times = new double[s_iterations];
        for (int i = 0; i < s_iterations; i++)
        {
            using DisposeScope scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            step();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    private static string CpuName()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
