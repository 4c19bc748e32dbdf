using System.Buffers.Binary;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_GivesBackTheKnownImagesAndLabels(bool gzip)
    {
        var dir = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(dir, gzip);
        string ext = gzip ? ".gz" : "";
        using var ds = IdxReader.Read(Path.Combine(dir, "train-images-idx3-ubyte" + ext), Path.Combine(dir, "train-labels-idx1-ubyte" + ext), "t", DataCatalog.MnistClassNames);
        ds.Inputs.shape.Should().Equal(6, 1, 5, 4);
        ds.Inputs.dtype.Should().Be(ScalarType.Float32);
        ds.Labels.data<long>().ToArray().Should().Equal(0, 1, 2, 3, 4, 9);
        var x = TestUtil.ToArray(ds.Inputs);
        for (int i = 0; i < 6; i++)
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 4; c++)
                    x[i * 20 + r * 4 + c].Should().BeApproximately(((7 * i + 3 * r + 5 * c) % 256) / 255.0, 1e-7);
    }

    [Fact]
    public void WrongMagic_NamesFileAndBothNumbers()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "imgs");
        File.WriteAllBytes(path, DataFileWriters.IdxLabels([1, 2]));
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*'{path}'*0x00000801*expected 0x00000803*label file*");
    }

    [Fact]
    public void TruncatedImages_GiveExpectedAndFoundSizeAndOffset()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "imgs.gz");
        var full = DataFileWriters.IdxImages(DataFileWriters.PatternImages(3, 5, 4));
        File.WriteAllBytes(path, DataFileWriters.Gzip(full[..(16 + 20 + 7)]));
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*'{path}' should have 76 bytes*found 43*image 1 at offset 36 is incomplete*");
    }

    [Fact]
    public void TrailingBytes_AreAnError()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "labels");
        File.WriteAllBytes(path, [.. DataFileWriters.IdxLabels([1, 2]), 0, 0]);
        var act = () => IdxReader.ReadLabels(path, 10);
        act.Should().Throw<LossLandscapeException>().WithMessage("*should have 10 bytes*found 12*2 unexpected bytes follow offset 10*");
    }

    [Fact]
    public void ShortHeader_IsTruncated()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "imgs");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0, 0]);
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<LossLandscapeException>().WithMessage("*has 7 bytes, fewer than its 16-byte header*truncated*");
    }

    [Fact]
    public void LabelOutOfRange_GivesIndexAndOffset()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "labels");
        File.WriteAllBytes(path, DataFileWriters.IdxLabels([1, 2, 10]));
        var act = () => IdxReader.ReadLabels(path, 10);
        act.Should().Throw<LossLandscapeException>().WithMessage("*label 2 (offset 10) is 10, outside [0, 10)*");
    }

    [Fact]
    public void CountMismatch_NamesBothFiles()
    {
        var dir = TestUtil.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "i"), DataFileWriters.IdxImages(DataFileWriters.PatternImages(3, 2, 2)));
        File.WriteAllBytes(Path.Combine(dir, "l"), DataFileWriters.IdxLabels([1, 2]));
        var act = () => IdxReader.Read(Path.Combine(dir, "i"), Path.Combine(dir, "l"), "t", DataCatalog.MnistClassNames);
        act.Should().Throw<LossLandscapeException>().WithMessage("*has 3 images but*has 2 labels*");
    }

    [Fact]
    public void CorruptGzip_IsReported()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "imgs.gz");
        var gz = DataFileWriters.Gzip(DataFileWriters.IdxImages(DataFileWriters.PatternImages(50, 8, 8)));
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*'{path}' should have 3216 bytes*after decompression*truncated*");
    }

    [Fact]
    public void MissingFile_IsNamed()
    {
        var act = () => IdxReader.ReadImages("/nonexistent/x-idx3-ubyte");
        act.Should().Throw<LossLandscapeException>().WithMessage("*'/nonexistent/x-idx3-ubyte' does not exist*");
    }
}

public class CifarReaderTests
{
    private static void AssertPixels(Dataset ds, int start)
    {
        var x = TestUtil.ToArray(ds.Inputs);
        for (int i = 0; i < ds.Count; i++)
            foreach (var (ch, r, c) in new[] { (0, 0, 0), (1, 5, 9), (2, 31, 31), (0, 17, 2) })
                x[i * 3072 + ch * 1024 + r * 32 + c].Should().BeApproximately(DataFileWriters.CifarPixel(start + i, ch, r, c) / 255.0, 1e-7);
    }

    [Fact]
    public void Cifar10_GivesBackTheKnownImagesAndLabels()
    {
        var dir = TestUtil.TempDir();
        int start = 0;
        var expected = new List<long>();
        for (int b = 1; b <= 5; b++)
        {
            var labels = new[] { new[] { (byte)(b % 10) }, new[] { (byte)((b + 3) % 10) } };
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), DataFileWriters.CifarRecords(start, labels));
            expected.AddRange(labels.Select(l => (long)l[0]));
            start += 2;
        }
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), DataFileWriters.CifarRecords(100, [9], [0], [5]));
        using var split = CifarReader.ReadCifar10(dir);
        split.Train.Inputs.shape.Should().Equal(10, 3, 32, 32);
        split.Train.Labels.data<long>().ToArray().Should().Equal(expected);
        AssertPixels(split.Train, 0);
        split.Test.Labels.data<long>().ToArray().Should().Equal(9, 0, 5);
        AssertPixels(split.Test, 100);
        split.ClassNames[0].Should().Be("airplane");
    }

    [Fact]
    public void Cifar100_ReadsFineOrCoarseLabels()
    {
        var dir = TestUtil.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), DataFileWriters.CifarRecords(0, [3, 99], [19, 0], [0, 42]));
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), DataFileWriters.CifarRecords(7, [1, 1]));
        using var fine = CifarReader.ReadCifar100(dir);
        fine.Train.Labels.data<long>().ToArray().Should().Equal(99, 0, 42);
        fine.Train.NumClasses.Should().Be(100);
        fine.ClassNames[99].Should().Be("worm");
        AssertPixels(fine.Train, 0);
        AssertPixels(fine.Test, 7);
        using var coarse = CifarReader.ReadCifar100(dir, Cifar100Labels.Coarse);
        coarse.Train.Labels.data<long>().ToArray().Should().Equal(3, 19, 0);
        coarse.Train.NumClasses.Should().Be(20);
        CifarReader.Cifar100FineClassNames.Distinct().Should().HaveCount(100);
    }

    [Fact]
    public void TruncatedFile_GivesExpectedAndFoundSizeAndOffset()
    {
        var dir = TestUtil.TempDir();
        var data = DataFileWriters.CifarRecords(0, [1], [2]);
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), DataFileWriters.CifarRecords(0, [1, 1]));
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), data[..(3073 + 100)]);
        var act = () => CifarReader.ReadCifar100(dir);
        act.Should().Throw<LossLandscapeException>().WithMessage("*test.bin' has 3173 bytes, not a whole number of 3074-byte records*expected 3074 or 6148, found 3173*record 1 at offset 3074 has only 99 bytes*");
    }

    [Fact]
    public void LabelOutOfRange_GivesRecordAndOffset()
    {
        var dir = TestUtil.TempDir();
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), DataFileWriters.CifarRecords(0, [1]));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), DataFileWriters.CifarRecords(0, [1], [10]));
        var act = () => CifarReader.ReadCifar10(dir);
        act.Should().Throw<LossLandscapeException>().WithMessage("*test_batch.bin': record 1 (offset 3073) has label 10, outside [0, 10)*");
    }

    [Fact]
    public void Cifar100CoarseLabelOutOfRange_IsReported()
    {
        var dir = TestUtil.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), DataFileWriters.CifarRecords(0, [20, 1]));
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), DataFileWriters.CifarRecords(0, [1, 1]));
        var act = () => CifarReader.ReadCifar100(dir);
        act.Should().Throw<LossLandscapeException>().WithMessage("*record 0 (offset 0) has coarse label 20, outside [0, 20)*");
    }

    [Fact]
    public void MissingOrEmptyFile_IsNamed()
    {
        var dir = TestUtil.TempDir();
        var act = () => CifarReader.ReadCifar10(dir);
        act.Should().Throw<LossLandscapeException>().WithMessage("*data_batch_1.bin' does not exist*");
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), []);
        var act2 = () => CifarReader.ReadCifar100(dir);
        act2.Should().Throw<LossLandscapeException>().WithMessage("*train.bin' is empty*3074 bytes*");
    }
}

public class SafetensorsDataReaderTests
{
    [Fact]
    public void Read_GivesXYAndTestSetWithClassNames()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "mine.safetensors");
        using (var x = arange(24, dtype: ScalarType.Float64).reshape(6, 4))
        using (var y = tensor(new long[] { 0, 1, 2, 0, 1, 2 }))
        using (var xt = ones(2, 4, dtype: ScalarType.Float64))
        using (var yt = tensor(new long[] { 2, 2 }))
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y, ["x_test"] = xt, ["y_test"] = yt },
                new Dictionary<string, string> { ["class_names"] = "a,b,c" });
        using var split = SafetensorsDataReader.Read(path);
        split.Train.Inputs.dtype.Should().Be(ScalarType.Float64);
        TestUtil.ToArray(split.Train.Inputs).Should().Equal(Enumerable.Range(0, 24).Select(i => (double)i));
        split.Train.Labels.data<long>().ToArray().Should().Equal(0, 1, 2, 0, 1, 2);
        split.Test.Count.Should().Be(2);
        split.ClassNames.Should().Equal("a", "b", "c");
        split.Source.Should().Be(path);
        split.Note.Should().BeNull();
    }

    [Fact]
    public void WithoutTestTensors_TestSetIsEmptyWithANote()
    {
        var path = Path.Combine(TestUtil.TempDir(), "d.safetensors");
        using (var x = zeros(3, 2)) using (var y = tensor(new long[] { 0, 4, 1 }))
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y });
        using var split = SafetensorsDataReader.Read(path);
        split.Test.Count.Should().Be(0);
        split.Train.NumClasses.Should().Be(5);
        split.Note.Should().Contain("no x_test/y_test");
    }

    [Fact]
    public void BadContent_GivesClearErrors()
    {
        var dir = TestUtil.TempDir();
        var p1 = Path.Combine(dir, "a.safetensors");
        using (var x = zeros(3, 2)) Safetensors.Save(p1, new Dictionary<string, Tensor> { ["x"] = x });
        FluentActions.Invoking(() => SafetensorsDataReader.Read(p1)).Should().Throw<LossLandscapeException>().WithMessage("*has no tensor 'y'*'x'*");
        var p2 = Path.Combine(dir, "b.safetensors");
        using (var x = zeros(3, 2)) using (var y = zeros(3)) Safetensors.Save(p2, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y });
        FluentActions.Invoking(() => SafetensorsDataReader.Read(p2)).Should().Throw<LossLandscapeException>().WithMessage("*'y' must hold integer labels*Float32*");
        var p3 = Path.Combine(dir, "c.safetensors");
        using (var x = zeros(3, 2)) using (var y = tensor(new long[] { 0, 1 })) Safetensors.Save(p3, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y });
        FluentActions.Invoking(() => SafetensorsDataReader.Read(p3)).Should().Throw<LossLandscapeException>().WithMessage("*'y' must be [P] with P = 3*");
        var p4 = Path.Combine(dir, "d.safetensors");
        File.WriteAllBytes(p4, [1, 2, 3]);
        FluentActions.Invoking(() => SafetensorsDataReader.Read(p4)).Should().Throw<LossLandscapeException>();
    }
}
