using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>Saved image models of an earlier format keep loading (models users shipped must not break).</summary>
[TestClass]
public sealed class SavedModelFormatTests
{
    [TestMethod]
    public void FormatOneModelsLoadWithSymmetricPaddingAndTheSameWeights()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        ResNetConfig config = ResNetConfig.FromArchitecture(ResNetArchitecture.CifarResNet20, numClasses: 4, inputChannels: 1, baseWidth: 16);
        var input = new ImageInputSpec
        {
            ColumnName = "Image", Kind = ImageColumnKind.FloatVector, Channels = 1, Height = 12, Width = 12,
            Mean = new[] { 0.5f }, Std = new[] { 0.25f },
        };
        using var original = new ImageClassificationModel(config, input);
        using var saved = new MemoryStream();
        original.Save(saved);
        byte[] current = saved.ToArray();
        Assert.AreEqual(2, BitConverter.ToInt32(current, 0), "the current format");

        // Format 1 is format 2 without the padding field, which follows the config's other fields:
        // version, block, stage count, blocks per stage, stem, base width, classes, channels (ints), zero-init (bool).
        int paddingOffset = 4 * (3 + config.Layers.Count + 4) + 1;
        Assert.AreEqual((int)ResNetPadding.Symmetric, BitConverter.ToInt32(current, paddingOffset));
        byte[] formatOne = current[..paddingOffset].Concat(current[(paddingOffset + 4)..]).ToArray();
        BitConverter.GetBytes(1).CopyTo(formatOne, 0);

        using var loaded = ImageClassificationModel.Load(new MemoryStream(formatOne));
        Assert.AreEqual(ResNetPadding.Symmetric, loaded.Config.Padding);
        Assert.AreEqual(input.Height, loaded.Input.Height);
        CollectionAssert.AreEqual(input.Std, loaded.Input.Std);
        original.Network.eval();
        loaded.Network.eval();
        Tensor x = randn(2, 1, 12, 12);
        using (no_grad())
        {
            Tensor expected = ((nn.Module<Tensor, Tensor>)original.Network).forward(x);
            Tensor actual = ((nn.Module<Tensor, Tensor>)loaded.Network).forward(x);
            Assert.IsTrue(expected.equal(actual).all().item<bool>(), "same weights, same outputs");
        }

        byte[] unknown = (byte[])current.Clone();
        BitConverter.GetBytes(7).CopyTo(unknown, 0);
        var error = Assert.Throws<InvalidDataException>(() => ImageClassificationModel.Load(new MemoryStream(unknown)));
        StringAssert.Contains(error.Message, "format version 7");
    }
}
