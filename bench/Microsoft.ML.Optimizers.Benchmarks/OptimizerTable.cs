using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Benchmarks;

/// <summary>
/// Every optimizer of the library: ms/step against the memory-traffic floor of its own state count (p += g plus one
/// read-modify-write per state value), and the state bytes per parameter measured from the live state buffers. Muon runs
/// on the tensors the trainers give it, its AdamW fallback on the rest (a row each); it is compute-bound (Newton–Schulz
/// matrix products), so it is also set against a compute floor: its matrix-product flops at the rate this machine
/// multiplies large float32 matrices.
/// </summary>
internal static class OptimizerTable
{
    /// <summary>The names <c>--table</c> takes, in table order.</summary>
    public static readonly string[] AllNames = { "sgdm", "adamw", "adam", "lion", "lamb", "lars", "adan", "adafactor", "sfadamw", "sophia", "muon" };

    public static OptimizerOptions Options(string name) => name switch
    {
        "sgdm" => new SgdOptions { LearningRate = 0.01, Momentum = 0.9, WeightDecay = 1e-4 },
        "adamw" => new AdamWOptions { WeightDecay = 0.01 },
        "adam" => new AdamOptions { WeightDecay = 1e-4 },
        "lion" => new LionOptions { WeightDecay = 0.1 },
        "lamb" => new LambOptions(),
        "lars" => new LarsOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-4 },
        "adan" => new AdanOptions { WeightDecay = 0.02 },
        "adafactor" => new AdafactorOptions(),
        "sfadamw" => new ScheduleFreeAdamWOptions { WeightDecay = 0.01 },
        "sophia" => new SophiaOptions(),
        "muon" => new MuonOptions { LearningRate = 0.02 },
        _ => throw new ArgumentException($"Unknown --table optimizer '{name}' ({string.Join(", ", AllNames)})."),
    };

    /// <summary>
    /// The rows of optimizer <paramref name="name"/> on a model's shapes: one, or for Muon two, split as the trainers split
    /// a model (<c>MuonParameterSplit</c>): Muon on the hidden matrices and convolution kernels, then its AdamW fallback on
    /// the embeddings, classifier head, biases and norms; a Muon step of the model is the two together.
    /// </summary>
    public static IEnumerable<string[]> Measure(string modelName, List<long[]> allShapes, string name, int iterations, int rounds,
        Func<Action, int, double[]> time, Func<List<double>, double> median)
    {
        OptimizerOptions options = Options(name);
        if (options is not MuonOptions muon)
        {
            return new[] { MeasureRow(modelName, allShapes, options, options.AlgorithmName, iterations, rounds, time, median) };
        }
        (List<long[]> matrices, List<long[]> fallback) = ModelShapes.MuonSplit(modelName, allShapes);
        return new[]
        {
            MeasureRow(modelName, matrices, muon, muon.AlgorithmName, iterations, rounds, time, median),
            MeasureRow(modelName, fallback, muon.CreateFallbackOptions(), "Muon's AdamW fallback", iterations, rounds, time, median),
        };
    }

    private static string[] MeasureRow(string modelName, List<long[]> shapes, OptimizerOptions options, string label, int iterations, int rounds,
        Func<Action, int, double[]> time, Func<List<double>, double> median)
    {
        long count = ModelShapes.Count(shapes);
        Console.WriteLine($"{modelName} {label}: {count / 1e6:F1}M parameters in {shapes.Count} tensors");
        Parameter[] parameters = shapes.Select(s => new Parameter(randn(s).mul_(0.02f))).ToArray();
        foreach (Parameter p in parameters)
        {
            p.grad = randn(p.shape).mul_(1e-3f);
        }
        var ours = new List<double>();
        var floor = new List<double>();
        double stateBytes = 0;
        int perRound = Math.Max(1, iterations / rounds);
        for (int round = 0; round < rounds; round++)
        {
            using (Optimizer optimizer = options.Create(parameters))
            {
                if (optimizer is IHessianEstimating sophia)
                {
                    sophia.UpdateHessian();
                }
                ours.AddRange(time(optimizer.Step, perRound));
                stateBytes = StateBytes(optimizer, parameters);
            }
            GC.Collect();
            double stateValues = stateBytes / 4;
            using (var buffers = new FloorBuffers(count, (int)Math.Ceiling(stateValues - 1e-9)))
            {
                floor.AddRange(time(buffers.Step, perRound));
            }
            GC.Collect();
        }
        foreach (Parameter p in parameters)
        {
            p.Dispose();
        }
        GC.Collect();
        double oursMs = median(ours), floorMs = median(floor);
        Console.WriteLine($"  ours {oursMs,9:F2} ms, floor {floorMs,9:F2} ms, state {stateBytes:F3} bytes/parameter");
        string computeFloor = "";
        if (options is MuonOptions muon)
        {
            double gflop = NewtonSchulzFlops(shapes, muon.NewtonSchulzSteps) / 1e9;
            double computeMs = gflop / MatmulGflops() * 1e3;
            computeFloor = $"{F(computeMs)} ({gflop:F0} GFLOP), {oursMs / computeMs:F2}x";
        }
        return new[]
        {
            modelName, label, $"{count / 1e6:F1}M", shapes.Count.ToString(CultureInfo.InvariantCulture),
            stateBytes.ToString("F3", CultureInfo.InvariantCulture), F(oursMs), F(floorMs), $"{oursMs / floorMs:F2}x", computeFloor,
        };
    }

    public static void Print(List<string[]> rows)
    {
        string[] header = { "model", "optimizer", "params", "tensors", "state bytes/param", "ours", "floor (own state count)", "ours/floor", "compute floor, ours/compute floor" };
        Console.WriteLine();
        Console.WriteLine("| " + string.Join(" | ", header) + " |");
        Console.WriteLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (string[] row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
        }
        Console.WriteLine();
        Console.WriteLine("ms/step, median, float32. Floor: p += g plus one in-place multiply per state value per parameter "
            + "(3 + 2n float32 streams; state rounded up to whole values per parameter). Compute floor (Muon): the Newton–Schulz "
            + "matrix-product flops at this machine's measured float32 matmul rate.");
    }

    /// <summary>
    /// The flops of Muon's Newton–Schulz iterations: per step and m×n matrix (a kernel as out × rest, as the optimizer
    /// flattens it; m ≤ n after the transpose), A = X Xᵀ (2m²n), A·A (2m³) and (bA + cA²)·X (2m²n).
    /// </summary>
    private static double NewtonSchulzFlops(List<long[]> shapes, int steps)
    {
        double flops = 0;
        foreach (long[] s in shapes)
        {
            double rows = s[0], rest = s.Skip(1).Aggregate(1L, (a, b) => a * b);
            double m = Math.Min(rows, rest), n = Math.Max(rows, rest);
            flops += steps * (4 * m * m * n + 2 * m * m * m);
        }
        return flops;
    }

    /// <summary>This machine's float32 matrix-product rate (GFLOP/s), from 1024×1024 products, best of a few.</summary>
    private static double MatmulGflops()
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor a = randn(1024, 1024), b = randn(1024, 1024);
        a.matmul(b);
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            a.matmul(b);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return 2.0 * 1024 * 1024 * 1024 / best / 1e9;
    }

    /// <summary>Optimizer-state bytes per parameter, from the state tensors the optimizer holds for each parameter.</summary>
    private static double StateBytes(Optimizer optimizer, Parameter[] parameters)
    {
        long bytes = 0, count = 0;
        foreach (Parameter p in parameters)
        {
            count += p.numel();
            foreach (string name in optimizer.StateNames)
            {
                using Tensor? state = optimizer.GetState(p, name);
                if (state is not null)
                {
                    bytes += state.numel() * state.element_size();
                }
            }
        }
        return bytes / (double)count;
    }

    private static string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>p += g and one in-place multiply per state buffer, over flat float32 buffers.</summary>
    private sealed class FloorBuffers : IDisposable
    {
        private readonly Tensor _p, _g;
        private readonly Tensor[] _state;
        private readonly Scalar _c = 0.5.ToScalar();
        private readonly Scalar _one = 1.ToScalar();

        public FloorBuffers(long count, int states)
        {
            _p = randn(count);
            _g = randn(count);
            _state = Enumerable.Range(0, states).Select(_ => zeros(count)).ToArray();
        }

        public void Step()
        {
            _p.add_(_g, _one);
            foreach (Tensor s in _state)
            {
                s.mul_(_c);
            }
        }

        public void Dispose()
        {
            _p.Dispose();
            _g.Dispose();
            foreach (Tensor s in _state)
            {
                s.Dispose();
            }
            _c.Dispose();
            _one.Dispose();
        }
    }
}
