using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Trainers.Torch.Onnx;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// ONNX import: configuration inferred from two different exporters, weights found whatever the exporter names
/// or orients them, config.json overrides, conversion to a Hugging Face folder, and errors that name the problem.
/// </summary>
[TestClass]
public sealed class OnnxImportTests
{
    private static readonly string[] Texts = { "the movie was great fun", "i hate the acting , but the plot is good" };

    [TestMethod]
    public void PackagedMiniLMConfigurationIsInferredFromTheGraph()
    {
        BertCheckpoint checkpoint = BertCheckpoint.Load(OnnxEncoders.MiniLM);
        using BertForSequenceClassification model = checkpoint.Model;
        BertConfig c = checkpoint.Config;
        // all-MiniLM-L6-v2's published config.json.
        Assert.AreEqual((6, 384, 12, 1536, 30522, 512, 2), (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize));
        Assert.AreEqual(1e-12, c.LayerNormEps);
        Assert.AreEqual("gelu", c.HiddenAct);
        Assert.AreEqual(0, c.PadTokenId);
        Assert.IsTrue(checkpoint.HasPretrainedPooler, "the export holds pooler.dense");
        Assert.AreEqual(30522, checkpoint.Tokenizer.VocabularySize);
    }

    [TestMethod]
    public void Torch113ExportConfigurationIsInferredFromTheGraph()
    {
        BertCheckpoint checkpoint = BertCheckpoint.Load(OnnxEncoders.TinyTorch113);
        using BertForSequenceClassification model = checkpoint.Model;
        BertConfig c = checkpoint.Config;
        // make_tiny_bert.py: 'bert.' prefix, fused LayerNormalization (eps 1e-5), tanh GELU, 4 heads.
        Assert.AreEqual((2, 32, 4, 48, 133, 64, 2), (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize));
        Assert.AreEqual(1e-5, c.LayerNormEps);
        Assert.AreEqual("gelu_new", c.HiddenAct);
        Assert.IsTrue(checkpoint.HasPretrainedPooler);
    }

    [TestMethod]
    public void RenamedReorderedAndReorientedWeightsImportIdentically()
    {
        string original = OnnxEncoders.TinyTorch113;
        const string p = "bert.encoder.layer.";
        string rewritten = OnnxRewrite.Copy(original, model =>
        {
            // Another exporter's generated names, in another order.
            string[] generated = model.InitializerNames.Where(n => !n.StartsWith("bert.", StringComparison.Ordinal)).ToArray();
            for (int i = 0; i < generated.Length; i++)
            {
                OnnxRewrite.Rename(model, generated[i], $"Initializer_{generated.Length - i}");
            }
            TensorProto[] reversed = model.Proto.Graph.Initializer.Reverse().ToArray();
            model.Proto.Graph.Initializer.Clear();
            model.Proto.Graph.Initializer.AddRange(reversed);
            var reindexed = new OnnxModel(model.Proto, model.Source);

            // Layer 0 query: the named weight in PyTorch's [out, in] layout behind a Transpose.
            NodeProto query = OnnxRewrite.MatMulBefore(reindexed, p + "0.attention.self.query.bias");
            using (Tensor stored = reindexed.ReadTensor(query.Input[1]))
            {
                model.Proto.Graph.Initializer.Add(OnnxRewrite.Initializer(p + "0.attention.self.query.weight", stored.t()));
            }
            var transpose = new NodeProto { OpType = "Transpose", Name = "query_weight_t" };
            transpose.Input.Add(p + "0.attention.self.query.weight");
            transpose.Output.Add("query_weight_t_out");
            transpose.Attribute.Add(new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 0 } });
            model.Proto.Graph.Node.Insert(reindexed.IndexOf(query), transpose);
            query.Input[1] = "query_weight_t_out";

            // Layer 1 intermediate: the named weight stored [in, out] and read by the MatMul directly.
            NodeProto intermediate = OnnxRewrite.MatMulBefore(reindexed, p + "1.intermediate.dense.bias");
            OnnxRewrite.Rename(model, intermediate.Input[1], p + "1.intermediate.dense.weight");

            // Pooler: Gemm with the weight stored [in, out] (transB = 0) under a generated name.
            NodeProto gemm = reindexed.Nodes.Single(n => n.OpType == "Gemm");
            using (Tensor weight = reindexed.ReadTensor("bert.pooler.dense.weight"))
            {
                model.Proto.Graph.Initializer.Add(OnnxRewrite.Initializer("pooler_weight_in_out", weight.t()));
            }
            model.Proto.Graph.Initializer.Remove(OnnxRewrite.Get(model, "bert.pooler.dense.weight"));
            gemm.Input[1] = "pooler_weight_in_out";
            gemm.Attribute.Remove(gemm.Attribute.Single(a => a.Name == "transB"));
        });

        BertCheckpoint a = BertCheckpoint.Load(original);
        BertCheckpoint b = BertCheckpoint.Load(rewritten);
        using BertForSequenceClassification first = a.Model, second = b.Model;
        var expected = first.Bert.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        foreach ((string name, Parameter parameter) in second.Bert.named_parameters())
        {
            Assert.IsTrue(expected[name].equal(parameter).all().item<bool>(), $"'{name}' differs after the rewrite");
        }
        // The rewritten file is still a valid model: ONNX Runtime runs it, and our import of it agrees.
        using var reference = new OnnxRuntimeReference(rewritten);
        BertBatch batch = b.Tokenizer.EncodeBatch(Texts);
        float[] theirs = reference.LastHiddenState(batch);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        second.eval();
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();
        float[] ours = second.Bert.LastHiddenState(ids, types, mask).contiguous().data<float>().ToArray();
        Assert.IsTrue(ours.Zip(theirs, (x, y) => Math.Abs(x - y)).Max() < 1e-4, "the rewritten export no longer matches ONNX Runtime");
    }

    [TestMethod]
    public void ConfigJsonBesideTheFileOverridesWhatWasInferred()
    {
        string path = OnnxRewrite.Copy(OnnxEncoders.TinyTorch113);
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "config.json"), "{ \"hidden_act\": \"relu\", \"hidden_dropout_prob\": 0.2 }");
        BertCheckpoint overridden = BertCheckpoint.Load(path);
        using BertForSequenceClassification model = overridden.Model;
        Assert.AreEqual("relu", overridden.Config.HiddenAct);
        Assert.AreEqual(0.2, overridden.Config.HiddenDropoutProb);
        Assert.AreEqual(4, overridden.Config.NumAttentionHeads, "keys the file does not set stay inferred");

        // The override is used: ReLU in place of the export's tanh GELU moves the outputs off ONNX Runtime's.
        using var reference = new OnnxRuntimeReference(path);
        BertBatch batch = overridden.Tokenizer.EncodeBatch(Texts);
        float[] theirs = reference.LastHiddenState(batch);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();
        float[] ours = model.Bert.LastHiddenState(ids, types, mask).contiguous().data<float>().ToArray();
        double diff = ours.Zip(theirs, (x, y) => Math.Abs(x - y)).Max();
        Assert.IsTrue(diff > 1e-2, $"a wrong activation should be visible in the outputs (max difference {diff:g3})");
    }

    [TestMethod]
    public void ImportedEncoderSavedAsHuggingFaceFolderLoadsWithTheSameOutputs()
    {
        BertCheckpoint imported = BertCheckpoint.Load(OnnxEncoders.MiniLM, new BertLoadOptions { Labels = new[] { "a", "b" }, Generator = new TorchSharp.torch.Generator(5) });
        string folder = TestData.NewTempDir();
        using BertForSequenceClassification first = imported.Model;
        imported.SaveEncoder(folder);
        foreach (string file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json" })
        {
            Assert.IsTrue(File.Exists(Path.Combine(folder, file)), $"{file} was not written");
        }

        BertCheckpoint loaded = BertCheckpoint.Load(folder);
        using BertForSequenceClassification second = loaded.Model;
        Assert.AreEqual(imported.Config.ToJson().Replace("\"a\"", "\"LABEL_0\"").Replace("\"b\"", "\"LABEL_1\""), loaded.Config.ToJson());
        Assert.IsTrue(loaded.HasPretrainedPooler);
        Assert.IsFalse(loaded.Messages.Any(m => m.Contains("pooler")), string.Join("\n", loaded.Messages));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        first.eval();
        second.eval();
        BertBatch batch = imported.Tokenizer.EncodeBatch(Texts, new[] { "a second segment", "another one" });
        CollectionAssert.AreEqual(batch.InputIds, loaded.Tokenizer.EncodeBatch(Texts, new[] { "a second segment", "another one" }).InputIds);
        (Tensor ids, Tensor types, Tensor mask) = batch.ToTensors();
        (Tensor last1, Tensor pooled1) = first.Bert.forward(ids, types, mask);
        (Tensor last2, Tensor pooled2) = second.Bert.forward(ids, types, mask);
        Assert.IsTrue(last1.equal(last2).all().item<bool>(), "last_hidden_state differs after the round trip");
        Assert.IsTrue(pooled1.equal(pooled2).all().item<bool>(), "pooler output differs after the round trip");
    }

    [TestMethod]
    public void EncoderWithoutPoolerGetsAFreshOneAndSavesWithoutIt()
    {
        string path = OnnxRewrite.Copy(OnnxEncoders.TinyTorch113, model =>
        {
            // Drop the pooler: its Gemm, Tanh, tensors and graph output.
            GraphProto g = model.Proto.Graph;
            NodeProto gemm = g.Node.Single(n => n.OpType == "Gemm");
            NodeProto tanh = g.Node.Single(n => n.Input.Contains(gemm.Output[0]));
            g.Output.Remove(g.Output.Single(o => o.Name == tanh.Output[0]));
            g.Node.Remove(tanh);
            g.Node.Remove(gemm);
            foreach (string name in new[] { "bert.pooler.dense.weight", "bert.pooler.dense.bias" })
            {
                g.Initializer.Remove(OnnxRewrite.Get(model, name));
            }
        });
        BertCheckpoint checkpoint = BertCheckpoint.Load(path);
        using BertForSequenceClassification model = checkpoint.Model;
        Assert.IsFalse(checkpoint.HasPretrainedPooler);
        Assert.IsTrue(checkpoint.Messages.Any(m => m.Contains("pooler") && m.Contains("fresh")), string.Join("\n", checkpoint.Messages));
        string folder = TestData.NewTempDir();
        checkpoint.SaveEncoder(folder);
        using var reader = new SafetensorsReader(Path.Combine(folder, "model.safetensors"));
        Assert.IsFalse(reader.Tensors.Any(t => t.Name.StartsWith("pooler.", StringComparison.Ordinal)), "a fresh pooler must not be saved as pretrained");
    }

    [TestMethod]
    public void NotAnOnnxFileIsRefusedByName()
    {
        string path = Path.Combine(TestData.NewTempDir(), "model.onnx");
        File.WriteAllText(path, "this is not protobuf {}");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "not an ONNX model");
    }

    [TestMethod]
    public void AnotherArchitectureIsNotABertEncoder()
    {
        string dir = TestData.NewTempDir();
        var graph = new GraphProto { Name = "mlp" };
        using (Tensor w = randn(4, 3))
        {
            graph.Initializer.Add(OnnxRewrite.Initializer("fc.weight", w));
        }
        var node = new NodeProto { OpType = "MatMul" };
        node.Input.Add("x");
        node.Input.Add("fc.weight");
        node.Output.Add("y");
        graph.Node.Add(node);
        var proto = new ModelProto { IrVersion = 7, Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        string path = Path.Combine(dir, "model.onnx");
        OnnxModel.Save(proto, path);
        File.Copy(Path.Combine(Path.GetDirectoryName(OnnxEncoders.TinyTorch113)!, "vocab.txt"), Path.Combine(dir, "vocab.txt"));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(path));
        StringAssert.Contains(e.Message, "is not a BERT encoder");
        StringAssert.Contains(e.Message, "embeddings.word_embeddings.weight");
    }

    [TestMethod]
    public void VocabularyLargerThanTheEmbeddingTableIsRefused()
    {
        string path = OnnxRewrite.Copy(OnnxEncoders.TinyTorch113);
        File.AppendAllLines(Path.Combine(Path.GetDirectoryName(path)!, "vocab.txt"), new[] { "extra1", "extra2" });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(path));
        StringAssert.Contains(e.Message, "135 tokens");
        StringAssert.Contains(e.Message, "133 rows");
    }

    [TestMethod]
    public void MissingVocabularyIsNamed()
    {
        string path = OnnxRewrite.Copy(OnnxEncoders.TinyTorch113);
        File.Delete(Path.Combine(Path.GetDirectoryName(path)!, "vocab.txt"));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BertCheckpoint.Load(path));
        StringAssert.Contains(e.Message, "vocab.txt");
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void UnsupportedOperatorInAnEncoderLayerIsNamedWithItsLayer()
    {
        string path = OnnxRewrite.Copy(OnnxEncoders.TinyTorch113, model =>
        {
            // A vendor-specific softmax in the second layer's attention.
            NodeProto softmax = model.Proto.Graph.Node.Where(n => n.OpType == "Softmax").ElementAt(1);
            softmax.OpType = "Hardmax";
            softmax.Name = "odd_softmax";
        });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(path));
        StringAssert.Contains(e.Message, "unsupported operator 'odd_softmax' (Hardmax");
        StringAssert.Contains(e.Message, "encoder layer 1");
    }

    [TestMethod]
    public void MissingLinearWeightIsNamed()
    {
        string path = OnnxRewrite.Copy(OnnxEncoders.TinyTorch113, model =>
        {
            // The value projection's bias no longer meets its MatMul: the weight cannot be found.
            OnnxRewrite.Rename(model, "bert.encoder.layer.1.attention.self.value.bias", "some_constant");
        });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => BertCheckpoint.Load(path));
        StringAssert.Contains(e.Message, "bert.encoder.layer.1.attention.self.value");
    }
}
