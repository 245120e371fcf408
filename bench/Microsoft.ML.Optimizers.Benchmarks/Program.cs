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
/// Usage: dotnet run -c Release [-- --iterations N] [--warmup N] [--rounds N] [--models bert,resnet] [--optimizers adamw,sgd]
/// [--table sgdm,adamw,adam,lion,lamb,lars,adan,adafactor,sfadamw,sophia,muon] [--state-chart file.png]. Every optimizer
/// (<c>--table</c>, all by default) gets a row in a second table: ms/step, the optimizer-state bytes per parameter
/// measured from the live state buffers, and the floor of its own state count (Muon on the matrices and convolution kernels
/// the trainers give it, its AdamW fallback on the rest, a row each); <c>--state-chart</c> draws the state bytes per parameter.
/// </summary>
internal static class Program
{
    private static int s_iterations = 9;
    private static int s_warmup = 1;
    private static int s_rounds = 3;

    private static int Main(string[] args)
    {
        string[] models = { "bert", "resnet" };
        string[] optimizers = { "adamw", "sgd" };
        string[] v2 = OptimizerTable.AllNames;
        string? stateChart = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--iterations": s_iterations = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": s_warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": s_rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--models": models = args[++i].Split(','); break;
                case "--optimizers": optimizers = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--table": v2 = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--state-chart": stateChart = args[++i]; break;
                default:
                    Console.Error.WriteLine($"Unknown argument {args[i]}. Options: --iterations N --warmup N --rounds N --models bert,resnet --optimizers adamw,sgd --table {string.Join(',', OptimizerTable.AllNames)} --state-chart file.png");
                    return 2;
            }
        }

        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {CpuName()}; TorchSharp {typeof(torch).Assembly.GetName().Version}, "
            + $"{torch.get_num_threads()} intra-op threads; float32; median of {s_iterations} steps per variant, taken in {s_rounds} rounds "
            + $"(each variant set up afresh, {s_warmup} warm-up steps); load average at start {LoadAverage()}.");
        var rows = new List<string[]>();
        var v2Rows = new List<string[]>();
        foreach (string model in models)
        {
            List<long[]> shapes = model == "bert" ? ModelShapes.BertBase() : ModelShapes.ResNet50();
            foreach (string optimizer in optimizers)
            {
                rows.Add(Measure(model == "bert" ? "BERT-base" : "ResNet-50", shapes, optimizer));
            }
            foreach (string optimizer in v2)
            {
                v2Rows.AddRange(OptimizerTable.Measure(model == "bert" ? "BERT-base" : "ResNet-50", shapes, optimizer, s_iterations, s_rounds, Time, Median));
            }
        }
        if (v2Rows.Count > 0)
        {
            OptimizerTable.Print(v2Rows);
            if (stateChart is not null)
            {
                StateChart.Write(v2Rows, stateChart);
                Console.WriteLine($"State chart: {stateChart}");
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

        // The variants take turns, a block of steps each per round, so that a machine whose load changes (shared
        // cores) treats them alike; one variant's buffers exist at a time.
        var variants = new (string Name, Func<(Action Step, IDisposable Owner)> Setup)[]
        {
            ("ours fused", () => Ours(fused: true)),
            ("ours portable", () => Ours(fused: false)),
            ("built-in", () =>
            {
                torch.optim.Optimizer builtIn = adamW
                    ? torch.optim.AdamW(parameters, lr: 1e-3, weight_decay: 0.01)
                    : torch.optim.SGD(parameters, 0.01, momentum: 0.9, weight_decay: 1e-4);
                return (() => builtIn.step(), builtIn);
            }),
            ("floor", () =>
            {
                var buffers = new FloorBuffers(count, adamW);
                return (buffers.Step, buffers);
            }),
        };
        var times = variants.Select(_ => new List<double>()).ToArray();
        int perRound = Math.Max(1, s_iterations / s_rounds);
        for (int round = 0; round < s_rounds; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                (Action step, IDisposable owner) = variants[v].Setup();
                using (owner)
                {
                    times[v].AddRange(Time(step, perRound));
                }
                GC.Collect();
            }
        }
        double[] medians = times.Select(Median).ToArray();
        for (int v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"  {variants[v].Name,-14} {medians[v],9:F2} ms   (min {times[v].Min():F2}, max {times[v].Max():F2})");
        }
        foreach (Parameter p in parameters)
        {
            p.Dispose();
        }
        GC.Collect();
        (double fusedMs, double portableMs, double builtInMs, double floorMs) = (medians[0], medians[1], medians[2], medians[3]);
        return new[]
        {
            modelName, adamW ? "AdamW" : "SGD-momentum", $"{count / 1e6:F1}M", shapes.Count.ToString(CultureInfo.InvariantCulture),
            F(fusedMs), F(portableMs), F(builtInMs), F(floorMs),
            $"{fusedMs / floorMs:F2}x", $"{portableMs / floorMs:F2}x", $"{builtInMs / fusedMs:F1}x",
        };

        (Action, IDisposable) Ours(bool fused)
        {
            OptimizerOptions options = adamW ? new AdamWOptions() : new SgdOptions { LearningRate = 0.01, Momentum = 0.9, WeightDecay = 1e-4 };
            options.UseFusedKernels = fused;
            Optimizer ours = options.Create(parameters);
            return (ours.Step, ours);
        }
    }

    /// <summary>The memory-traffic floor: in-place operations over flat buffers moving 7 (AdamW) or 5 (SGD) streams.</summary>
    private sealed class FloorBuffers : IDisposable
    {
        private readonly Tensor _p, _g, _m, _v;
        private readonly Scalar _c = 0.5.ToScalar();
        private readonly bool _adamW;

        public FloorBuffers(long count, bool adamW)
        {
            _adamW = adamW;
            _p = randn(count);
            _g = randn(count);
            _m = zeros(count);
            _v = adamW ? zeros(count) : empty(0);
        }

        public void Step()
        {
            _p.add_(_g);
            _m.mul_(_c);
            if (_adamW)
            {
                _v.mul_(_c);
            }
        }

        public void Dispose()
        {
            _p.Dispose();
            _g.Dispose();
            _m.Dispose();
            _v.Dispose();
            _c.Dispose();
        }
    }

    internal static double Median(List<double> values)
    {
        double[] sorted = values.OrderBy(x => x).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);

    internal static double[] Time(Action step, int iterations)
    {
        for (int i = 0; i < s_warmup; i++)
        {
            using DisposeScope scope = NewDisposeScope();
            step();
        }
        var times = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            using DisposeScope scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            step();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        return times;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
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
