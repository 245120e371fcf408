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
            Mean = new[] { 0.5f }, Std = new[] { 0.25f }, EvaluationCropRatio = 0.875, TestTimeFlip = true, TestTimeCropPadding = 2,
        };
        using var original = new ImageClassificationModel(config, input);
        using var saved = new MemoryStream();
        original.Save(saved);
        byte[] current = saved.ToArray();
        Assert.AreEqual(5, BitConverter.ToInt32(current, 0), "the current format");
        using (var roundTrip = ImageClassificationModel.Load(new MemoryStream(current)))
        {
            Assert.AreEqual(0.875, roundTrip.Input.EvaluationCropRatio, "the evaluation crop is saved with the model");
            Assert.IsTrue(roundTrip.Input.TestTimeFlip, "the test-time flip is saved with the model");
            Assert.AreEqual(2, roundTrip.Input.TestTimeCropPadding, "the test-time crops are saved with the model");
        }

        // Format 4 is format 5 without the test-time crop padding (an int ending the input spec);
        // format 3 is format 4 without the test-time flip (a bool ending the input spec, which follows the config);
        // format 2 is format 3 without the evaluation crop ratio (the double then ending the input spec); format 1 is
        // format 2 without the padding field, which follows the config's other fields: version, block, stage count,
        // blocks per stage, stem, base width, classes, channels (ints), zero-init (bool).
        int paddingOffset = 4 * (3 + config.Layers.Count + 4) + 1;
        Assert.AreEqual((int)ResNetPadding.Symmetric, BitConverter.ToInt32(current, paddingOffset));
        int cropOffset = paddingOffset + 4 + SpecLength(input) - 4;
        int specEnd = cropOffset + 4;
        int flipOffset = cropOffset - 1;
        int ratioOffset = flipOffset - 8;
        Assert.AreEqual(0.875, BitConverter.ToDouble(current, ratioOffset));
        Assert.AreEqual(1, current[flipOffset]);
        Assert.AreEqual(2, BitConverter.ToInt32(current, cropOffset));
        byte[] formatFour = current[..cropOffset].Concat(current[specEnd..]).ToArray();
        BitConverter.GetBytes(4).CopyTo(formatFour, 0);
        using (var four = ImageClassificationModel.Load(new MemoryStream(formatFour)))
        {
            Assert.IsTrue(four.Input.TestTimeFlip);
            Assert.AreEqual(0, four.Input.TestTimeCropPadding, "models saved before the test-time crops took none");
        }
        byte[] formatThree = current[..flipOffset].Concat(current[specEnd..]).ToArray();
        BitConverter.GetBytes(3).CopyTo(formatThree, 0);
        using (var three = ImageClassificationModel.Load(new MemoryStream(formatThree)))
        {
            Assert.AreEqual(0.875, three.Input.EvaluationCropRatio);
            Assert.IsFalse(three.Input.TestTimeFlip, "models saved before the test-time flip scored each image once");
        }
        byte[] formatTwo = current[..ratioOffset].Concat(current[specEnd..]).ToArray();
        BitConverter.GetBytes(2).CopyTo(formatTwo, 0);
        byte[] formatOne = formatTwo[..paddingOffset].Concat(formatTwo[(paddingOffset + 4)..]).ToArray();
        BitConverter.GetBytes(1).CopyTo(formatOne, 0);

        using (var two = ImageClassificationModel.Load(new MemoryStream(formatTwo)))
        {
            Assert.AreEqual(1.0, two.Input.EvaluationCropRatio, "models saved before the evaluation crop resized");
        }
        using var loaded = ImageClassificationModel.Load(new MemoryStream(formatOne));
        Assert.AreEqual(ResNetPadding.Symmetric, loaded.Config.Padding);
        Assert.AreEqual(input.Height, loaded.Input.Height);
        Assert.AreEqual(1.0, loaded.Input.EvaluationCropRatio);
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

    private static int SpecLength(ImageInputSpec spec)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            spec.Write(writer);
        }
        return (int)stream.Length;
    }
}
