using System.Buffers.Binary;
using System.Text;
using LossLandscape.Checkpoints;
using LossLandscape.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Checkpoints;

public class CheckpointTests
{
    [Fact]
    public void SaveThenLoad_RoundTripIsExact()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "m.safetensors");
        using var a = TestUtil.TinyMlp(1);
        using var b = TestUtil.TinyMlp(2);
        Checkpoint.Save(a, path, new Dictionary<string, string> { ["model"] = "mlp:4-6-3" });
        Checkpoint.Load(b, path);
        foreach (var (k, v) in a.state_dict())
            TestUtil.ToArray(b.state_dict()[k]).Should().Equal(TestUtil.ToArray(v), k);
        Safetensors.ReadMetadata(path)["model"].Should().Be("mlp:4-6-3");
        Directory.GetFiles(dir).Should().ContainSingle("the temporary file is renamed, not left behind");
    }

    /// <summary>Writes a file the way PyTorch's safetensors.torch.save_file does (F32, sorted keys, __metadata__).</summary>
    internal static void WritePyTorchStyle(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors)
    {
        var sb = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long off = 0;
        foreach (var (name, shape, data) in tensors)
        {
            sb.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{off},{off + data.Length * 4}]}}");
            off += data.Length * 4;
        }
        sb.Append('}');
        var header = Encoding.UTF8.GetBytes(sb.ToString());
        using var fs = File.Create(path);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        fs.Write(len);
        fs.Write(header);
        foreach (var (_, _, data) in tensors)
            foreach (var x in data)
            {
                var bytes = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(bytes, x);
                fs.Write(bytes);
            }
    }

    internal static (string, long[], float[])[] PyTorchMlpTensors(int inp, int hid, int outp, int seed)
    {
        var r = new Random(seed);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        return new (string, long[], float[])[]
        {
            ("0.weight", new long[] { hid, inp }, R(hid * inp)),
            ("0.bias", new long[] { hid }, R(hid)),
            ("2.weight", new long[] { outp, hid }, R(outp * hid)),
            ("2.bias", new long[] { outp }, R(outp)),
        };
    }

    [Fact]
    public void PyTorchSafetensors_LoadsIntoMlp_WithItsKeysAndDtype()
    {
        var path = Path.Combine(TestUtil.TempDir(), "torch.safetensors");
        var tensors = PyTorchMlpTensors(4, 6, 3, 7);
        WritePyTorchStyle(path, tensors);
        using var m = new Mlp(new[] { 4, 6, 3 });
        Checkpoint.Load(m, path);
        m.get_parameter("0.weight")!.data<float>().ToArray().Should().Equal(tensors[0].Item3);
        m.get_parameter("2.bias")!.data<float>().ToArray().Should().Equal(tensors[3].Item3);
        // The same file loads into a float64 model (converted).
        using var m64 = TestUtil.TinyMlp(0);
        Checkpoint.Load(m64, path);
        TestUtil.ToArray(m64.get_parameter("0.bias")!).Should().Equal(tensors[1].Item3.Select(f => (double)f));
    }

    [Fact]
    public void MissingFile_IsNamed()
    {
        using var m = TestUtil.TinyMlp();
        var act = () => Checkpoint.Load(m, "/nonexistent/x.safetensors");
        act.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.FileNotFound).WithMessage("*does not exist*");
    }

    [Fact]
    public void NotSafetensors_IsNamed()
    {
        var path = Path.Combine(TestUtil.TempDir(), "junk.safetensors");
        File.WriteAllText(path, "this is not a checkpoint at all, just text");
        using var m = TestUtil.TinyMlp();
        var act = () => Checkpoint.Load(m, path);
        act.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.NotSafetensors).WithMessage("*not a valid safetensors file*header length*");
    }

    [Fact]
    public void Truncated_IsNamedWithSizes()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "t.safetensors");
        using var m = TestUtil.TinyMlp();
        Checkpoint.Save(m, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^16]);
        var act = () => Checkpoint.Load(m, path);
        act.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.Truncated).WithMessage($"*file has only {bytes.Length - 16} bytes*truncated*");
    }

    [Fact]
    public void MissingAndUnexpectedKeys_AreListed()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "k.safetensors");
        var t = PyTorchMlpTensors(4, 6, 3, 1);
        WritePyTorchStyle(path, new[] { t[0], t[1], t[2] });
        using var m = new Mlp(new[] { 4, 6, 3 });
        var missing = () => Checkpoint.Load(m, path);
        missing.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.MissingKeys).WithMessage("*lacks 1 key(s)*2.bias*");

        WritePyTorchStyle(path, t.Append(("extra.weight", new long[] { 2 }, new float[] { 1, 2 })).ToArray());
        var unexpected = () => Checkpoint.Load(m, path);
        unexpected.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.UnexpectedKeys).WithMessage("*extra.weight*");
    }

    [Fact]
    public void ShapeMismatch_NamesTensorAndBothShapes()
    {
        var path = Path.Combine(TestUtil.TempDir(), "s.safetensors");
        WritePyTorchStyle(path, PyTorchMlpTensors(5, 6, 3, 1));
        using var m = new Mlp(new[] { 4, 6, 3 });
        var before = m.get_parameter("0.bias")!.data<float>().ToArray();
        var act = () => Checkpoint.Load(m, path);
        act.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.ShapeMismatch).WithMessage("*'0.weight' has shape [6, 5], the model expects [6, 4]*");
        m.get_parameter("0.bias")!.data<float>().ToArray().Should().Equal(before, "nothing is written unless every check passes");
    }

    [Fact]
    public void NonFinite_IsRefusedUnlessAllowed()
    {
        var path = Path.Combine(TestUtil.TempDir(), "n.safetensors");
        var t = PyTorchMlpTensors(4, 6, 3, 1);
        t[1].Item3[2] = float.NaN;
        WritePyTorchStyle(path, t);
        using var m = new Mlp(new[] { 4, 6, 3 });
        var act = () => Checkpoint.Load(m, path);
        act.Should().Throw<CheckpointException>().Where(e => e.Kind == CheckpointErrorKind.NonFinite).WithMessage("*'0.bias' holds NaN or Inf*");
        Checkpoint.Load(m, path, new CheckpointLoadOptions(AllowNonFinite: true));
        float.IsNaN(m.get_parameter("0.bias")!.data<float>()[2]).Should().BeTrue();
    }

    [Fact]
    public void Save_DoesNotReplaceGoodFile_WhenWriteFails()
    {
        var dir = TestUtil.TempDir();
        var path = Path.Combine(dir, "good.safetensors");
        using var m = TestUtil.TinyMlp();
        Checkpoint.Save(m, path);
        var good = File.ReadAllBytes(path);
        var bad = new Dictionary<string, Tensor> { ["x"] = zeros(2, dtype: ScalarType.ComplexFloat32) };
        var act = () => Safetensors.Save(path, bad);
        act.Should().Throw<LossLandscapeException>().WithMessage("*cannot store*");
        File.ReadAllBytes(path).Should().Equal(good);
    }
}
