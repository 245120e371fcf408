using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// LAMB and LARS take each tensor's norms piece by piece (cache-sized pieces that straddle tensor boundaries and split
/// large tensors); the reference traces use small tensors that fit one piece. Here tensors span several pieces and
/// pieces span several tensors, and the result is checked against timm's update written per tensor in plain float64
/// arithmetic (no libtorch), over steps where some tensors have no gradient.
/// </summary>
[TestClass]
public sealed class LayerwiseTrustRatioTests
{
    // 120,000 and 38,700 elements span several pieces (32,704 each); the small tensors share pieces.
    private static readonly long[][] s_shapes = { new long[] { 3, 40000 }, new long[] { 7 }, new long[] { 300, 129 }, new long[] { 5 }, new long[] { 64, 64 } };
    private const int Steps = 4;

    public static IEnumerable<object[]> LambCases()
    {
        yield return new object[] { "adaptive L2, global clip", new LambOptions { LearningRate = 0.01, WeightDecay = 0.1, MaxGradNorm = 50.0 } };
        yield return new object[] { "decoupled, trust clip, maximize", new LambOptions { LearningRate = 0.02, WeightDecay = 0.05, DecoupledDecay = true, TrustClip = true, Maximize = true } };
        yield return new object[] { "no decay, always adapt, no clip", new LambOptions { LearningRate = 0.01, AlwaysAdapt = true, MaxGradNorm = null } };
        yield return new object[] { "adaptive L2, portable path", new LambOptions { LearningRate = 0.01, WeightDecay = 0.1, UseFusedKernels = false } };
    }

    public static IEnumerable<object[]> LarsCases()
    {
        yield return new object[] { "momentum, decay", new LarsOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3 } };
        yield return new object[] { "nesterov, trust clip", new LarsOptions { LearningRate = 0.5, Momentum = 0.9, WeightDecay = 1e-2, Nesterov = true, TrustClip = true } };
        yield return new object[] { "dampening, maximize", new LarsOptions { LearningRate = 0.1, Momentum = 0.5, Dampening = 0.25, WeightDecay = 1e-3, Maximize = true } };
        yield return new object[] { "momentum, portable path", new LarsOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3, UseFusedKernels = false } };
    }

    [TestMethod]
    [DynamicData(nameof(LambCases))]
    public void LambMatchesPerTensorReference(string name, LambOptions options)
    {
        var reference = new PerTensorLamb(options);
        Check(name, options, reference.Step);
    }

    [TestMethod]
    [DynamicData(nameof(LarsCases))]
    public void LarsMatchesPerTensorReference(string name, LarsOptions options)
    {
        var reference = new PerTensorLars(options);
        Check(name, options, reference.Step);
    }

    [TestMethod]
    public void UsesFusedKernelsSaysWhetherAKernelRuns()
    {
        // LAMB runs the fused Adam kernel only with timm's defaults (bias correction, gradient averaging); LARS runs the
        // fused SGD kernel only with momentum.
        (string Name, OptimizerOptions Options, bool Fused)[] cases =
        {
            ("LAMB", new LambOptions(), true),
            ("LAMB without bias correction", new LambOptions { BiasCorrection = false }, false),
            ("LAMB portable", new LambOptions { UseFusedKernels = false }, false),
            ("LARS momentum", new LarsOptions { Momentum = 0.9 }, true),
            ("LARS no momentum", new LarsOptions { Momentum = 0 }, false),
            ("LARS portable", new LarsOptions { Momentum = 0.9, UseFusedKernels = false }, false),
        };
        foreach ((string name, OptimizerOptions options, bool fused) in cases)
        {
            using DisposeScope scope = NewDisposeScope();
            using Optimizer optimizer = options.Create(TestModels.Parameters(s_shapes, ScalarType.Float32, seed: 7));
            Assert.AreEqual(fused, optimizer.UsesFusedKernels, name);
        }
    }

    private static void Check(string name, OptimizerOptions options, Action<double[][], double[]?[]> referenceStep)
    {
        using DisposeScope scope = NewDisposeScope();
        Parameter[] parameters = TestModels.Parameters(s_shapes, ScalarType.Float64, seed: 7);
        Tensor?[][] grads = TestModels.Gradients(s_shapes, ScalarType.Float64, Steps, seed: 8, skip: (s, t) => s == 2 && t == 1 || s == 3 && t == 2);
        double[][] expected = parameters.Select(p => p.data<double>().ToArray()).ToArray();
        using Optimizer optimizer = options.Create(parameters);
        for (int s = 0; s < Steps; s++)
        {
            TestModels.SetGrads(parameters, grads[s]);
            optimizer.Step();
            referenceStep(expected, grads[s].Select(g => g?.data<double>().ToArray()).ToArray());
            for (int t = 0; t < parameters.Length; t++)
            {
                double[] actual = parameters[t].data<double>().ToArray();
                double scale = expected[t].Max(Math.Abs);
                double worst = actual.Zip(expected[t], (a, e) => Math.Abs(a - e)).Max();
                Assert.IsTrue(worst <= 1e-12 * scale, $"{name}: step {s + 1}, tensor {t}: max difference {worst:G3} (scale {scale:G3})");
            }
        }
    }

    private static double SquaredNorm(double[] x) => x.Sum(v => v * v);

    /// <summary>timm's <c>Lamb.step</c>, one tensor at a time.</summary>
    private sealed class PerTensorLamb
    {
        private readonly LambOptions _o;
        private readonly Dictionary<int, (double[] m, double[] v)> _state = new();
        private int _step;

        public PerTensorLamb(LambOptions options) => _o = options;

        public void Step(double[][] parameters, double[]?[] grads)
        {
            _step++;
            double beta1 = _o.Beta1, beta2 = _o.Beta2, lr = _o.LearningRate, wd = _o.WeightDecay;
            double clip = 1;
            if (_o.MaxGradNorm is double max)
            {
                double norm = Math.Sqrt(grads.Where(g => g is not null).Sum(g => SquaredNorm(g!)));
                clip = Math.Max(1, norm / max);
            }
            double bc1 = _o.BiasCorrection ? 1 - Math.Pow(beta1, _step) : 1;
            double bc2 = _o.BiasCorrection ? 1 - Math.Pow(beta2, _step) : 1;
            double beta3 = _o.GradientAveraging ? 1 - beta1 : 1;
            for (int t = 0; t < parameters.Length; t++)
            {
                if (grads[t] is not double[] grad)
                {
                    continue;
                }
                double[] p = parameters[t];
                double[] g = grad.Select(x => (_o.Maximize ? -x : x) / clip).ToArray();
                if (!_state.TryGetValue(t, out var st))
                {
                    st = (new double[p.Length], new double[p.Length]);
                    _state[t] = st;
                }
                var update = new double[p.Length];
                for (int i = 0; i < p.Length; i++)
                {
                    st.m[i] = st.m[i] * beta1 + g[i] * beta3;
                    st.v[i] = st.v[i] * beta2 + (1 - beta2) * g[i] * g[i];
                    update[i] = st.m[i] / bc1 / (Math.Sqrt(st.v[i]) / Math.Sqrt(bc2) + _o.Epsilon);
                }
                if (wd != 0)
                {
                    for (int i = 0; i < p.Length; i++)
                    {
                        if (_o.DecoupledDecay)
                        {
                            p[i] += p[i] * -lr * wd;
                        }
                        else
                        {
                            update[i] += wd * p[i];
                        }
                    }
                }
                double trust = 1;
                if (wd != 0 || _o.AlwaysAdapt)
                {
                    double wn = Math.Sqrt(SquaredNorm(p)), un = Math.Sqrt(SquaredNorm(update));
                    trust = wn > 0 && un > 0 ? wn / un : 1;
                    if (_o.TrustClip)
                    {
                        trust = Math.Min(trust, 1);
                    }
                }
                for (int i = 0; i < p.Length; i++)
                {
                    p[i] -= lr * trust * update[i];
                }
            }
        }
    }

    /// <summary>timm's <c>Lars.step</c>, one tensor at a time.</summary>
    private sealed class PerTensorLars
    {
        private readonly LarsOptions _o;
        private readonly Dictionary<int, double[]> _buffers = new();

        public PerTensorLars(LarsOptions options) => _o = options;

        public void Step(double[][] parameters, double[]?[] grads)
        {
            double lr = _o.LearningRate, wd = _o.WeightDecay, mu = _o.Momentum;
            for (int t = 0; t < parameters.Length; t++)
            {
                if (grads[t] is not double[] grad)
                {
                    continue;
                }
                double[] p = parameters[t];
                double[] g = grad.Select(x => _o.Maximize ? -x : x).ToArray();
                if (wd != 0 || _o.AlwaysAdapt)
                {
                    double wn = Math.Sqrt(SquaredNorm(p)), gn = Math.Sqrt(SquaredNorm(g));
                    double trust = wn > 0 && gn > 0 ? _o.TrustCoefficient * wn / (gn + wn * wd + _o.Epsilon) : 1;
                    if (_o.TrustClip)
                    {
                        trust = Math.Min(trust / lr, 1);
                    }
                    for (int i = 0; i < p.Length; i++)
                    {
                        g[i] = (g[i] + p[i] * wd) * trust;
                    }
                }
                if (mu != 0)
                {
                    if (!_buffers.TryGetValue(t, out double[]? buf))
                    {
                        buf = (double[])g.Clone();
                        _buffers[t] = buf;
                    }
                    else
                    {
                        for (int i = 0; i < p.Length; i++)
                        {
                            buf[i] = buf[i] * mu + g[i] * (1 - _o.Dampening);
                        }
                    }
                    g = _o.Nesterov ? g.Select((x, i) => x + buf[i] * mu).ToArray() : (double[])buf.Clone();
                }
                for (int i = 0; i < p.Length; i++)
                {
                    p[i] += g[i] * -lr;
                }
            }
        }
    }
}
