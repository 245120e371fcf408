using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// Adafactor updates equally shaped tensors whose offsets form a progression as one batch, and forms the update from the
/// row and column factors (with the elementwise form where the variance floor binds). The reference traces have one
/// tensor per shape; here a layer repeats three times (batches of 3, split when a tensor misses a gradient), matrices are
/// wide enough for the matrix-vector norm, and one has an all-zero row. Checked against torch.optim.Adafactor's update
/// written per tensor in plain float64 arithmetic (no libtorch).
/// </summary>
[TestClass]
public sealed class AdafactorBatchingTests
{
    // A "layer" of four shapes, three times; then a vector that breaks the progression and a lone matrix whose row 0
    // never has a gradient.
    private static readonly long[][] s_shapes = Enumerable.Repeat(new[] { new long[] { 24, 40 }, new long[] { 40 }, new long[] { 4, 3, 20 }, new long[] { 6, 2, 1, 1 } }, 3)
        .SelectMany(layer => layer)
        .Concat(new[] { new long[] { 7 }, new long[] { 24, 40 } })
        .ToArray();

    private const int ZeroRowTensor = 13;
    private const int Steps = 5;

    public static IEnumerable<object[]> Cases()
    {
        yield return new object[] { "defaults, float64", new AdafactorOptions(), ScalarType.Float64 };
        yield return new object[] { "decay, maximize, float64", new AdafactorOptions { LearningRate = 0.05, WeightDecay = 0.1, Maximize = true }, ScalarType.Float64 };
        yield return new object[] { "eps, d, beta2 decay, float64", new AdafactorOptions { LearningRate = 0.02, Epsilon1 = 1e-20, Epsilon2 = 0.01, ClipThreshold = 1.5, Beta2Decay = -0.5 }, ScalarType.Float64 };
        yield return new object[] { "defaults, float32", new AdafactorOptions(), ScalarType.Float32 };
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void BatchedUpdateMatchesPerTensorReference(string name, AdafactorOptions options, ScalarType dtype)
    {
        // Layer 1's matrix misses step 2 and layer 0's vector step 4: their step counts fall behind the others'.
        Check(name, options, dtype, s_shapes, ZeroRowTensor, Steps, skip: (s, t) => s == 1 && t == 4 || s == 3 && t == 1 || s == 2 && t == 11);
    }

    [TestMethod]
    public void TensorsLargerThanABatchReuseTheirSquares()
    {
        // 17.6 MB each in float64, over the batch limit: one tensor a batch, the update factor written over the squares;
        // the second has a zero row (the elementwise form).
        long[][] shapes = { new long[] { 1100, 2000 }, new long[] { 1100, 2000 } };
        Check("large", new AdafactorOptions { WeightDecay = 0.01 }, ScalarType.Float64, shapes, zeroRowTensor: 1, steps: 2, skip: null);
    }

    private static void Check(string name, AdafactorOptions options, ScalarType dtype, long[][] shapes, int zeroRowTensor, int steps, Func<int, int, bool>? skip)
    {
        using DisposeScope scope = NewDisposeScope();
        Parameter[] parameters = TestModels.Parameters(shapes, dtype, seed: 11);
        Tensor?[][] grads = TestModels.Gradients(shapes, dtype, steps, seed: 12, skip);
        foreach (Tensor?[] step in grads)
        {
            step[zeroRowTensor]![0].zero_();
        }
        double[][] expected = parameters.Select(p => Values(p)).ToArray();
        var reference = new PerTensorAdafactor(options, shapes, dtype == ScalarType.Float64 ? Math.Pow(2, -52) : Math.Pow(2, -23));
        using Optimizer optimizer = options.Create(parameters);
        for (int s = 0; s < steps; s++)
        {
            TestModels.SetGrads(parameters, grads[s]);
            optimizer.Step();
            reference.Step(expected, grads[s].Select(g => g is null ? null : Values(g)).ToArray());
            for (int t = 0; t < parameters.Length; t++)
            {
                double[] actual = Values(parameters[t]);
                double scale = expected[t].Max(Math.Abs);
                double allowed = dtype == ScalarType.Float64 ? 1e-12 * Math.Max(1, scale) : 4e-6 * scale + 1e-7;
                double worst = actual.Zip(expected[t], (a, e) => Math.Abs(a - e)).Max();
                Assert.IsTrue(worst <= allowed, $"{name}: step {s + 1}, tensor {t}: max difference {worst:G3} (allowed {allowed:G3})");
            }
        }
        using Tensor? rows = optimizer.GetState(parameters[zeroRowTensor], "row_var");
        Assert.AreEqual(0.0, Values(rows!)[0], "a row without gradient keeps a zero variance");
    }

    private static double[] Values(Tensor t)
    {
        using Tensor wide = t.to(ScalarType.Float64).contiguous();
        return wide.data<double>().ToArray();
    }

    private static double Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));

    private static double Lerp(double start, double end, double weight) => start + weight * (end - start);

    /// <summary>torch.optim.Adafactor's single-tensor step, one tensor at a time.</summary>
    private sealed class PerTensorAdafactor
    {
        private readonly AdafactorOptions _o;
        private readonly long[][] _shapes;
        private readonly double _eps1;
        private readonly Dictionary<int, (long Step, double[] Rows, double[] Cols, double[] Variance)> _state = new();

        public PerTensorAdafactor(AdafactorOptions options, long[][] shapes, double machineEpsilon)
        {
            _o = options;
            _shapes = shapes;
            _eps1 = options.Epsilon1 ?? machineEpsilon;
        }

        public void Step(double[][] parameters, double[]?[] grads)
        {
            for (int t = 0; t < parameters.Length; t++)
            {
                if (grads[t] is not double[] grad)
                {
                    continue;
                }
                double[] p = parameters[t];
                long[] shape = _shapes[t];
                int n = p.Length;
                bool factored = shape.Length >= 2;
                int rows = factored ? (int)shape[^2] : 1, cols = factored ? (int)shape[^1] : n, matrices = n / (rows * cols);
                if (!_state.TryGetValue(t, out var st))
                {
                    st = (0, new double[matrices * rows], new double[matrices * cols], new double[n]);
                }
                st.Step++;
                _state[t] = st;
                double w = Math.Pow(st.Step, _o.Beta2Decay);
                double rho = Math.Min(_o.LearningRate, 1 / Math.Sqrt(st.Step));
                double alpha = Math.Max(_o.Epsilon2, Norm(p) / Math.Sqrt(n)) * rho;
                for (int i = 0; i < n; i++)
                {
                    p[i] *= 1 - _o.LearningRate * _o.WeightDecay;
                }
                double[] g = grad.Select(x => _o.Maximize ? -x : x).ToArray();
                var variance = new double[n];
                if (factored)
                {
                    for (int m = 0; m < matrices; m++)
                    {
                        int b = m * rows * cols;
                        for (int i = 0; i < rows; i++)
                        {
                            double sum = 0;
                            for (int j = 0; j < cols; j++)
                            {
                                sum += g[b + i * cols + j] * g[b + i * cols + j];
                            }
                            st.Rows[m * rows + i] = Lerp(st.Rows[m * rows + i], sum / cols, w);
                        }
                        for (int j = 0; j < cols; j++)
                        {
                            double sum = 0;
                            for (int i = 0; i < rows; i++)
                            {
                                sum += g[b + i * cols + j] * g[b + i * cols + j];
                            }
                            st.Cols[m * cols + j] = Lerp(st.Cols[m * cols + j], sum / rows, w);
                        }
                        double rowMean = Math.Max(st.Rows.Skip(m * rows).Take(rows).Average(), _eps1);
                        for (int i = 0; i < rows; i++)
                        {
                            for (int j = 0; j < cols; j++)
                            {
                                variance[b + i * cols + j] = st.Rows[m * rows + i] * st.Cols[m * cols + j] / rowMean;
                            }
                        }
                    }
                }
                else
                {
                    for (int i = 0; i < n; i++)
                    {
                        st.Variance[i] = Lerp(st.Variance[i], g[i] * g[i], w);
                        variance[i] = st.Variance[i];
                    }
                }
                double[] update = g.Select((x, i) => x / Math.Sqrt(Math.Max(variance[i], _eps1 * _eps1))).ToArray();
                double denominator = Math.Max(1, Norm(update) / (Math.Sqrt(n) * _o.ClipThreshold));
                for (int i = 0; i < n; i++)
                {
                    p[i] -= alpha / denominator * update[i];
                }
            }
        }
    }
}
