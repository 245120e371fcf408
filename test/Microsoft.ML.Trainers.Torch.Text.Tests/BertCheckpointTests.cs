using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Checkpoint variants (precision, bare encoder, other head size), options, and errors that name the file or tensor.</summary>
[TestClass]
public sealed class BertCheckpointTests
{
    private static string CopyGolden(bool weights = true)
    {
        string dir = TestData.NewTempDir();
        foreach (string file in new[] { "config.json", "vocab.txt" }.Concat(weights ? new[] { "model.safetensors" } : Array.Empty<string>()))
        {
            File.Copy(Path.Combine(BertGoldenData.ModelDir, file), Path.Combine(dir, file));
        }
        return dir;
    }

    private static (Tensor Ids, Tensor Types, Tensor Mask) Inputs(BertTextTokenizer tokenizer) =>
        tokenizer.EncodeBatch(new[] { "This movie is great!", "I hate the acting, but the story was fun." }).ToTensors();

    [TestMethod]
    [DataRow(ScalarType.Float16)]
    [DataRow(ScalarType.BFloat16)]
    public void ReducedPrecisionCheckpointLoadsIntoFloat32(ScalarType storage)
    {
        string dir = CopyGolden(weights: false);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        BertCheckpoint golden = BertCheckpoint.Load(BertGoldenData.ModelDir);
        using BertForSequenceClassification reference = golden.Model;
        ModuleCheckpoint.Save(reference, Path.Combine(dir, "model.safetensors"), storage);
        // The reference computes with the same rounded weights, in float32.
        foreach (var p in reference.parameters())
        {
            p.copy_(p.to(storage).to(ScalarType.Float32));
        }

        BertCheckpoint loaded = BertCheckpoint.Load(dir);
        using BertForSequenceClassification model = loaded.Model;
        Assert.AreEqual(ScalarType.Float32, model.Classifier.weight!.dtype);
        reference.eval();
        model.eval();
        (Tensor ids, Tensor types, Tensor mask) = Inputs(loaded.Tokenizer);
        Tensor expected = reference.forward(ids, types, mask);
        Tensor actual = model.forward(ids, types, mask);
        Assert.IsTrue(expected.allclose(actual, rtol: 0, atol: 1e-6), $"{storage} checkpoint logits differ");
    }

    [TestMethod]
    public void BareBertModelCheckpointGetsAFreshHeadAndTheSameEncoder()
    {
        string dir = CopyGolden(weights: false);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        BertCheckpoint golden = BertCheckpoint.Load(BertGoldenData.ModelDir);
        using BertForSequenceClassification reference = golden.Model;
        // Hugging Face BertModel.save_pretrained writes names without the "bert." prefix.
        ModuleCheckpoint.Save(reference.Bert, Path.Combine(dir, "model.safetensors"));

        var log = new System.Collections.Generic.List<string>();
        BertCheckpoint loaded = BertCheckpoint.Load(dir, new BertLoadOptions { Labels = new[] { "ham", "spam" }, Log = log.Add });
        using BertForSequenceClassification model = loaded.Model;
        Assert.AreEqual(2, model.Config.NumLabels);
        Assert.IsTrue(log.Any(m => m.Contains("classifier initialised fresh")), string.Join("\n", log));
        reference.eval();
        model.eval();
        (Tensor ids, Tensor types, Tensor mask) = Inputs(loaded.Tokenizer);
        Assert.IsTrue(reference.Forward(ids, types, mask).LastHiddenState.allclose(model.Forward(ids, types, mask).LastHiddenState, rtol: 0, atol: 1e-6));
        Assert.AreEqual(2, model.forward(ids, types, mask).shape[1]);
    }

    [TestMethod]
    public void CheckpointHeadOfAnotherSizeIsReplacedAndLogged()
    {
        var log = new System.Collections.Generic.List<string>();
        BertCheckpoint loaded = BertCheckpoint.Load(BertGoldenData.ModelDir, new BertLoadOptions { Labels = new[] { "a", "b", "c", "d", "e" }, Log = log.Add });
        using BertForSequenceClassification model = loaded.Model;
        CollectionAssert.AreEqual(new long[] { 5, 32 }, model.Classifier.weight!.shape);
        Assert.IsTrue(log.Single().Contains("classifier.weight") || log.Single().Contains("classifier"), log.Single());
    }

    [TestMethod]
    public void ShapeMismatchNamesTheTensor()
    {
        string dir = CopyGolden();
        string config = File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"intermediate_size\": 64", "\"intermediate_size\": 48");
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => BertCheckpoint.Load(dir));
        StringAssert.Contains(e.Message, "bert.encoder.layer.0.intermediate.dense.weight");
    }

    [TestMethod]
    public void MissingEncoderTensorIsNamed()
    {
        string dir = CopyGolden();
        string config = File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => BertCheckpoint.Load(dir));
        StringAssert.Contains(e.Message, "bert.encoder.layer.2.");
    }

    [TestMethod]
    [DataRow("config.json")]
    [DataRow("model.safetensors")]
    [DataRow("vocab.txt")]
    public void MissingFileIsNamed(string file)
    {
        string dir = CopyGolden();
        File.Delete(Path.Combine(dir, file));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BertCheckpoint.Load(dir));
        StringAssert.Contains(e.Message, file);
    }

    [TestMethod]
    public void UnknownModelTypeNamesTheConfigFile()
    {
        string dir = CopyGolden();
        string config = File.ReadAllText(Path.Combine(dir, "config.json"))
            .Replace("\"model_type\": \"bert\"", "\"model_type\": \"roberta\"")
            .Replace("BertForSequenceClassification", "RobertaForSequenceClassification");
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(dir));
        StringAssert.Contains(e.Message, "config.json");
        StringAssert.Contains(e.Message, "roberta");
    }

    [TestMethod]
    public void UnsupportedActivationNamesTheKey()
    {
        string dir = CopyGolden();
        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"gelu\"", "\"swiglu\""));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(dir));
        StringAssert.Contains(e.Message, "hidden_act");
    }

    [TestMethod]
    public void NonBertSafetensorsIsRejectedWithTheFileName()
    {
        string dir = CopyGolden(weights: false);
        using (var other = nn.Linear(2, 2))
        {
            ModuleCheckpoint.Save(other, Path.Combine(dir, "model.safetensors"));
        }
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(dir));
        StringAssert.Contains(e.Message, "model.safetensors");
    }

    [TestMethod]
    public void FreezeEncoderLeavesOnlyPoolerAndClassifierTrainable()
    {
        BertCheckpoint loaded = BertCheckpoint.Load(BertGoldenData.ModelDir, new BertLoadOptions { FreezeEncoder = true });
        using BertForSequenceClassification model = loaded.Model;
        string[] trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToArray();
        CollectionAssert.AreEquivalent(new[] { "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias" }, trainable);
    }

    [TestMethod]
    public void DropoutOverrideMakesTrainModeDeterministic()
    {
        BertCheckpoint loaded = BertCheckpoint.Load(BertGoldenData.ModelDir, new BertLoadOptions { Dropout = 0 });
        using BertForSequenceClassification model = loaded.Model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        (Tensor ids, Tensor types, Tensor mask) = Inputs(loaded.Tokenizer);
        model.train();
        Tensor train = model.forward(ids, types, mask);
        model.eval();
        Assert.IsTrue(train.allclose(model.forward(ids, types, mask), rtol: 0, atol: 1e-6));
    }

    [TestMethod]
    public void ParameterNamesMatchHuggingFace()
    {
        BertCheckpoint loaded = BertCheckpoint.Load(BertGoldenData.ModelDir);
        using BertForSequenceClassification model = loaded.Model;
        using var reader = new SafetensorsReader(Path.Combine(BertGoldenData.ModelDir, "model.safetensors"));
        CollectionAssert.AreEquivalent(reader.Tensors.Select(t => t.Name).ToArray(), model.named_parameters().Select(p => p.name).ToArray());
    }

    [TestMethod]
    public void SequenceLongerThanPositionsIsAClearError()
    {
        BertCheckpoint loaded = BertCheckpoint.Load(BertGoldenData.ModelDir);
        using BertForSequenceClassification model = loaded.Model;
        using var scope = NewDisposeScope();
        long n = loaded.Config.MaxPositionEmbeddings + 1;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => model.forward(zeros(1, n, ScalarType.Int64), zeros(1, n, ScalarType.Int64), ones(1, n, ScalarType.Int64)));
        StringAssert.Contains(e.Message, "max_position_embeddings");
    }

    [TestMethod]
    public void FreshModelUsesHuggingFaceInitialisation()
    {
        var config = new BertConfig { VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 20 };
        using var model = new BertForSequenceClassification(config);
        model.InitializeWeights(new Generator(1));
        using var scope = NewDisposeScope();
        Assert.AreEqual(0.0, model.Bert.Embeddings.named_parameters().First(p => p.name == "word_embeddings.weight").parameter[config.PadTokenId].abs().sum().item<float>());
        Assert.AreEqual(0.0, model.Classifier.bias!.abs().sum().item<float>());
        double std = model.Classifier.weight!.std().item<float>();
        Assert.IsTrue(std > 0.005 && std < 0.05, $"classifier std {std}");
    }

    [TestMethod]
    public void ConfigRoundTripsThroughJson()
    {
        BertConfig config = BertConfig.FromFile(Path.Combine(BertGoldenData.ModelDir, "config.json"));
        BertConfig copy = BertConfig.FromJson(config.ToJson());
        Assert.AreEqual(config.HiddenSize, copy.HiddenSize);
        Assert.AreEqual(config.LayerNormEps, copy.LayerNormEps);
        CollectionAssert.AreEqual(config.Labels.ToArray(), copy.Labels.ToArray());
    }
}
